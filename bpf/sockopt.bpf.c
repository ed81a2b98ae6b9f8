// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cgroup/getsockopt: SO_ORIGINAL_DST (SOL_IP) and IP6T_SO_ORIGINAL_DST (SOL_IPV6), both
 * optname 80, answered without conntrack.
 *
 * Runs after the kernel's own handler. For a TCP socket of an intercepted namespace the answer is:
 *   1. the origin in the socket's storage (a redirected client socket, or an accepted socket
 *      answered before), else
 *   2. the origin that connect4/6 + sockops left in kt_pending under this connection's tuple
 *      (the sidecar's accepted end of a redirected connection). It is moved into the socket's
 *      storage: repeated calls get the same answer, and the LRU map stays mostly empty, so
 *      inserting the next connection's entry does not have to evict one (measured: eviction
 *      cost the connecting side more than the delete and the storage cost here), else
 *   3. the kernel's answer if it had one (conntrack, e.g. rules of another tool), else
 *   4. the socket's own local address: an inbound connection steered by sk_lookup keeps the
 *      destination the peer used (pod:80) as its local address, which is exactly what a
 *      conntrack lookup of an un-NATed connection returns.
 */
#include "tproxy_common.h"

#define KT_SO_ORIGINAL_DST 80
#ifndef SOL_IP
#define SOL_IP 0
#endif
#ifndef SOL_IPV6
#define SOL_IPV6 41
#endif

static __always_inline int kt_answer(struct bpf_sockopt *ctx, const __u32 addr[4], __u16 port_net,
				     bool v4)
{
	if (ctx->level == SOL_IP) {
		struct sockaddr_in *sin = ctx->optval;

		if (!v4)
			return 1; /* an IPv6 destination has no sockaddr_in form */
		if ((void *)(sin + 1) > ctx->optval_end)
			return 1;
		sin->sin_family = AF_INET;
		sin->sin_port = port_net;
		sin->sin_addr.s_addr = addr[3];
		__builtin_memset(sin->__pad, 0, sizeof(sin->__pad));
		ctx->optlen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = ctx->optval;

		if ((void *)(sin6 + 1) > ctx->optval_end)
			return 1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port_net;
		sin6->sin6_flowinfo = 0;
		sin6->sin6_addr.in6_u.u6_addr32[0] = addr[0];
		sin6->sin6_addr.in6_u.u6_addr32[1] = addr[1];
		sin6->sin6_addr.in6_u.u6_addr32[2] = addr[2];
		sin6->sin6_addr.in6_u.u6_addr32[3] = addr[3];
		sin6->sin6_scope_id = 0;
		ctx->optlen = sizeof(*sin6);
	}
	ctx->retval = 0;
	return 1;
}

SEC("cgroup/getsockopt")
int kt_getsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct kt_tuple_key key = {};
	struct kt_origin *o;
	__u32 local[4], remote[4], addr[4];
	__u16 port;
	bool v4;
	__u64 netns;

	if (ctx->optname != KT_SO_ORIGINAL_DST || (ctx->level != SOL_IP && ctx->level != SOL_IPV6))
		return 1;
	if (!sk || sk->protocol != IPPROTO_TCP)
		return 1;
	netns = bpf_get_netns_cookie(ctx);
	if (!kt_pod_lookup(netns))
		return 1;

	o = bpf_sk_storage_get(&kt_origins, sk, 0, 0);
	if (!o || o->kind == KT_ORIGIN_DNS) {
		kt_sock_ends(sk, local, remote);
		key.netns = netns;
		__builtin_memcpy(key.client, remote, sizeof(key.client));
		__builtin_memcpy(key.server, local, sizeof(key.server));
		key.client_port = sk->dst_port;
		key.server_port = bpf_htons((__u16)sk->src_port);
		o = bpf_map_lookup_elem(&kt_pending, &key);
		if (o) {
			struct kt_origin c = *o, *cached;

			bpf_map_delete_elem(&kt_pending, &key);
			cached =
			    bpf_sk_storage_get(&kt_origins, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
			if (cached) {
				*cached = c;
				cached->kind = KT_ORIGIN_ACCEPTED;
			}
			__builtin_memcpy(addr, c.addr, sizeof(addr));
			return kt_answer(ctx, addr, c.port, c.family == KT_FAMILY_V4);
		}
	}
	if (o) {
		__builtin_memcpy(addr, o->addr, sizeof(addr));
		port = o->port;
		v4 = o->family == KT_FAMILY_V4;
	} else {
		if (ctx->retval == 0)
			return 1;
		__builtin_memcpy(addr, local, sizeof(addr));
		port = bpf_htons((__u16)sk->src_port);
		v4 = kt_is_v4_mapped(local);
	}
	/* One call site: clang would otherwise merge the context stores of several copies into one
	 * store through a computed context pointer, which the verifier rejects. */
	return kt_answer(ctx, addr, port, v4);
}
