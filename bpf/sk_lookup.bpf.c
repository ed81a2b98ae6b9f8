// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sk_lookup, attached to one pod's network namespace: inbound TCP connections arriving on a
 * non-loopback interface are handed to the sidecar's inbound listener instead of the socket the
 * kernel would pick. Nothing in the packet changes: the accepted socket keeps the destination
 * the peer used (pod:80) as its local address, and sockopt.bpf.c answers SO_ORIGINAL_DST from
 * it. Connections that no rule excludes but that find no inbound listener are dropped (the SYN
 * is retransmitted until the sidecar listens), never delivered around the sidecar.
 *
 * sk_lookup programs cannot call bpf_get_netns_cookie and their context names no namespace, so
 * each namespace gets its own instance of this program. The cookie is the immediate of one
 * 64-bit load holding KT_NETNS_COOKIE_MARKER: the loader keeps the relocated instructions of
 * the node (a pinned template) and loads a namespace's instance by patching that immediate, with
 * no object file, BTF or read-only data map per pod. Everything else comes from the shared maps.
 */
#include "tproxy_common.h"

#define KT_STR2(x) #x
#define KT_STR(x) KT_STR2(x)

/* The namespace this instance serves: an immediate the loader patches. */
static __always_inline __u64 kt_netns_cookie(void)
{
	__u64 cookie;

	asm volatile("%0 = " KT_STR(KT_NETNS_COOKIE_MARKER) " ll" : "=r"(cookie));
	return cookie;
}

/* The sidecar's listener on `port`: the socket's family first, then an IPv6 dual-stack one. */
static __always_inline struct bpf_sock *kt_listener(__u64 netns, __u16 port, __u32 family)
{
	struct kt_listener_key key = {.netns = netns, .port = port, .family = (__u16)family};
	struct bpf_sock *sk;

	sk = bpf_map_lookup_elem(&kt_listeners, &key);
	if (sk || family == AF_INET6)
		return sk;
	key.family = AF_INET6;
	return bpf_map_lookup_elem(&kt_listeners, &key);
}

SEC("sk_lookup")
int kt_sk_lookup(struct bpf_sk_lookup *ctx)
{
	__u64 netns = kt_netns_cookie();
	struct kt_addr remote;
	struct kt_pod *pod;
	struct bpf_sock *sk;
	__u16 port, target;
	__u32 aflags;
	long err;

	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	pod = kt_pod_lookup(netns);
	if (!pod || !(pod->flags & KT_POD_INBOUND))
		return SK_PASS;
	if (ctx->ingress_ifindex == KT_LOOPBACK_IFINDEX)
		return SK_PASS;
	if (pod->in_ifindex && ctx->ingress_ifindex != pod->in_ifindex)
		return SK_PASS;
	if (ctx->family == AF_INET) {
		kt_addr_v4(&remote, ctx->remote_ip4);
		target = pod->inbound_port;
	} else {
		__u32 w[4] = {ctx->remote_ip6[0], ctx->remote_ip6[1], ctx->remote_ip6[2],
			      ctx->remote_ip6[3]};

		if (!(pod->flags & KT_POD_IPV6))
			return SK_PASS;
		kt_addr_from_v6(&remote, w);
		target = pod->inbound_port6;
	}
	port = (__u16)ctx->local_port;
	/*
	 * Connections from the pod itself (to its own address they arrive with the ingress index of
	 * the interface owning that address, not loopback's) were decided at connect time; the
	 * kernel drops packets from the network that claim a local source.
	 */
	aflags = kt_addr_flags(netns, pod, &remote);
	if (aflags & KT_ADDR_LOCAL)
		return SK_PASS;

	/* The sidecar's own listeners (the inbound port included) get their traffic directly. */
	sk = kt_listener(netns, port, ctx->family);
	if (sk) {
		bpf_sk_release(sk);
		return SK_PASS;
	}
	/* inbound/include-ports, inbound/exclude-ports */
	if (pod->flags & KT_POD_IN_INCLUDE) {
		if (!kt_port_in_set(netns, pod, pod->in_port_set, port))
			return SK_PASS;
	} else if (kt_port_in_set(netns, pod, pod->in_port_set, port)) {
		return SK_PASS;
	}
	/* inbound/exclude-ips */
	if (aflags & KT_ADDR_EXCLUDE_IN)
		return SK_PASS;

	sk = kt_listener(netns, target, ctx->family);
	if (!sk)
		return SK_DROP;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}
