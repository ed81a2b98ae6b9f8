// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sockops: the two TCP events the redirection needs.
 *
 * TCP_CONNECT_CB (client, right before the SYN, local port already chosen): a socket that
 * connect4/6 redirected gets its origin copied into kt_pending under the connection's tuple,
 * where the sidecar's getsockopt on the accepted end finds it; any other connection to loopback
 * removes what an earlier connection may have left under the same tuple (a redirected
 * connection the sidecar never asked about), so it never inherits a stale origin.
 *
 * TCP_LISTEN_CB (in the listen() syscall, so the current task is the caller): the sidecar's
 * listening sockets go into kt_listeners, where the per-namespace sk_lookup program finds the
 * inbound listener and every port the sidecar serves itself. Both callbacks run without
 * bpf_sock_ops_cb_flags_set, so no other TCP event pays for this program beyond the switch.
 */
#include "tproxy_common.h"

static __always_inline bool kt_is_loopback_mapped(const __u32 a[4])
{
	if (a[0] || a[1])
		return false;
	if (a[2] == bpf_htonl(0x0000ffff))
		return (a[3] & bpf_htonl(0xff000000)) == bpf_htonl(0x7f000000);
	return !a[2] && a[3] == bpf_htonl(1);
}

static __always_inline void kt_on_connect(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct kt_tuple_key key = {};
	struct kt_origin *o;
	bool redirected;

	if (!sk)
		return;
	o = bpf_sk_storage_get(&kt_origins, sk, 0, 0);
	redirected = o && (o->kind == KT_ORIGIN_OUTBOUND || o->kind == KT_ORIGIN_INBOUND);
	kt_sock_ends(sk, key.client, key.server);
	/* Only connections to loopback can meet an entry: redirected ones all go there. */
	if (!redirected && !kt_is_loopback_mapped(key.server))
		return;
	key.netns = bpf_get_netns_cookie(skops);
	key.client_port = bpf_htons((__u16)sk->src_port);
	key.server_port = sk->dst_port;
	if (redirected)
		bpf_map_update_elem(&kt_pending, &key, o, BPF_ANY);
	else
		bpf_map_delete_elem(&kt_pending, &key);
}

static __always_inline void kt_on_listen(struct bpf_sock_ops *skops)
{
	struct kt_listener_key key = {};
	struct kt_pod *pod;

	key.netns = bpf_get_netns_cookie(skops);
	pod = kt_pod_lookup(key.netns);
	if (!pod || kt_current_uid() != pod->sidecar_uid)
		return;
	key.port = (__u16)skops->local_port;
	key.family = (__u16)skops->family;
	bpf_sock_hash_update(skops, &kt_listeners, &key, BPF_ANY);
}

SEC("sockops")
int kt_sockops(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		kt_on_connect(skops);
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		kt_on_listen(skops);
		break;
	default:
		break;
	}
	return 1;
}
