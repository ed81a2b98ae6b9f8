// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cgroup sock_addr hooks: connect4/6, sendmsg4/6, recvmsg4/6, getpeername4/6.
 *
 * Outbound TCP connects of the application are sent to the sidecar's outbound port on loopback,
 * UDP/53 to its DNS port; the original destination is kept in the socket's storage (kt_origins)
 * so that getpeername/recvmsg show the application the address it asked for and the sidecar can
 * recover it (sockops.bpf.c, sockopt.bpf.c). The decisions follow the rule backends' chains
 * (iptables/builder.cpp) in the same order; each step names the rule it mirrors.
 *
 * Namespaces without a kt_pods entry are never touched. IPv4-mapped destinations of AF_INET6
 * sockets are IPv4 traffic and get the IPv4 treatment, as they do in netfilter.
 */
#include "tproxy_common.h"

struct kt_req {
	__u64 netns;
	struct kt_pod *pod;
	struct kt_addr dst;
	__u16 port; /* host order */
	__u32 uid;
	bool v6sock; /* AF_INET6 socket (mapped addresses must be written back mapped) */
};

static __always_inline void kt_write_dst(struct bpf_sock_addr *ctx, const struct kt_req *req,
					 const struct kt_addr *to, __u16 port)
{
	if (!req->v6sock) {
		ctx->user_ip4 = to->a[0];
	} else {
		__u32 w[4];

		kt_addr_to_mapped(w, to);
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	}
	ctx->user_port = bpf_htons(port);
}

static __always_inline void kt_loopback_of(struct kt_addr *out, __u8 fam)
{
	out->fam = fam;
	out->a[0] = out->a[1] = out->a[2] = out->a[3] = 0;
	if (fam == KT_FAMILY_V4)
		out->a[0] = bpf_htonl(KT_IPV4_LOOPBACK);
	else
		out->a[3] = bpf_htonl(1);
}

/*
 * Binds an unbound socket to `src` before it is sent to loopback, so the sidecar sees the
 * pod's address as the peer, as with a netfilter REDIRECT (which keeps the routed source).
 * Port 0 has IP_BIND_ADDRESS_NO_PORT semantics: the port is still picked at connect.
 */
static __always_inline void kt_bind_source(struct bpf_sock_addr *ctx, const struct kt_req *req,
					   const struct kt_addr *src)
{
	struct bpf_sock *sk = ctx->sk;

	if (KT_SK_LOAD(sk, src_port))
		return;
	if (!req->v6sock) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = src->a[0]};

		if (KT_SK_LOAD(sk, src_ip4))
			return;
		bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa));
		return;
	}
	if (KT_SK_LOAD(sk, src_ip6[0]) | KT_SK_LOAD(sk, src_ip6[1]) | KT_SK_LOAD(sk, src_ip6[2]) |
	    KT_SK_LOAD(sk, src_ip6[3]))
		return;
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
	__u32 w[4];

	kt_addr_to_mapped(w, src);
	sa6.sin6_addr.in6_u.u6_addr32[0] = w[0];
	sa6.sin6_addr.in6_u.u6_addr32[1] = w[1];
	sa6.sin6_addr.in6_u.u6_addr32[2] = w[2];
	sa6.sin6_addr.in6_u.u6_addr32[3] = w[3];
	bpf_bind(ctx, (struct sockaddr *)&sa6, sizeof(sa6));
}

/*
 * Sends the socket to loopback:port and remembers where it was going. Fails closed: without
 * storage for the origin the sidecar could not route the connection, and letting it through
 * would bypass the mesh, so the syscall fails (EPERM) instead.
 */
static __always_inline int kt_redirect(struct bpf_sock_addr *ctx, const struct kt_req *req,
				       __u16 port, __u8 kind)
{
	struct kt_origin *o;
	struct kt_addr lo;

	o = bpf_sk_storage_get(&kt_origins, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return KT_REJECT;
	kt_addr_to_mapped(o->addr, &req->dst);
	o->port = bpf_htons(req->port);
	o->redir_port = bpf_htons(port);
	o->family = req->dst.fam;
	o->kind = kind;
	o->pad = 0;

	if (kind == KT_ORIGIN_INBOUND) {
		/* The routed source towards the pod's own address is that address. */
		kt_bind_source(ctx, req, &req->dst);
	} else if (kind == KT_ORIGIN_OUTBOUND) {
		struct kt_addr src;

		if (req->dst.fam == KT_FAMILY_V4 && (req->pod->flags & KT_POD_BIND_SRC4)) {
			kt_addr_v4(&src, req->pod->src4);
			kt_bind_source(ctx, req, &src);
		} else if (req->dst.fam == KT_FAMILY_V6 && (req->pod->flags & KT_POD_BIND_SRC6)) {
			src.fam = KT_FAMILY_V6;
			src.a[0] = req->pod->src6[0];
			src.a[1] = req->pod->src6[1];
			src.a[2] = req->pod->src6[2];
			src.a[3] = req->pod->src6[3];
			kt_bind_source(ctx, req, &src);
		}
	}
	kt_loopback_of(&lo, req->dst.fam);
	kt_write_dst(ctx, req, &lo, port);
	return KT_ALLOW;
}

/* The bound source address of the socket (unspecified if unbound). */
static __always_inline void kt_bound_src(struct bpf_sock_addr *ctx, bool v6sock,
					 struct kt_addr *out)
{
	struct bpf_sock *sk = ctx->sk;

	if (!v6sock) {
		kt_addr_v4(out, KT_SK_LOAD(sk, src_ip4));
		return;
	}
	__u32 w[4] = {KT_SK_LOAD(sk, src_ip6[0]), KT_SK_LOAD(sk, src_ip6[1]),
		      KT_SK_LOAD(sk, src_ip6[2]), KT_SK_LOAD(sk, src_ip6[3])};

	kt_addr_from_v6(out, w);
}

/* Outbound TCP: the OUTPUT and KUMA_MESH_OUTBOUND chains of the rule backends, in order. */
static __always_inline int kt_tcp_connect(struct bpf_sock_addr *ctx, struct kt_req *req)
{
	const struct kt_pod *pod = req->pod;
	bool sidecar = req->uid == pod->sidecar_uid;
	__u32 aflags;
	bool local;

	/* output/exclude-ports-for-uids */
	if (pod->n_uid_rules && kt_uid_excluded(req->netns, req->uid, KT_PROTO_TCP, req->port))
		return KT_ALLOW;
	/* output/exclude-ips */
	aflags = kt_addr_flags(req->netns, pod, &req->dst);
	if (aflags & KT_ADDR_EXCLUDE_OUT)
		return KT_ALLOW;
	/* output/dns/tcp-return: TCP DNS of the application goes to the resolver directly */
	if (req->port == KT_DNS_PORT && !sidecar && kt_dns_enabled(pod, req->dst.fam))
		return KT_ALLOW;
	/* outbound/disabled */
	if (!(pod->flags & KT_POD_OUTBOUND))
		return KT_ALLOW;
	/* outbound/exclude-ports */
	if (!(pod->flags & KT_POD_OUT_INCLUDE) &&
	    kt_port_in_set(req->netns, pod, pod->out_port_set, req->port))
		return KT_ALLOW;
	local = aflags & KT_ADDR_LOCAL;
	if (local) {
		struct kt_addr src;

		/* outbound/inbound-passthrough: from 127.0.0.6 / ::6 over loopback. A socket that
		 * connects to the local ::6 without binding gets ::6 itself as its source (IPv6
		 * prefers the destination when it is a local address), so netfilter sees the
		 * passthrough source there too; for 127.0.0.6 the loopback route's preferred source
		 * 127.0.0.1 is chosen instead. */
		kt_bound_src(ctx, req->v6sock, &src);
		if (kt_is_passthrough(&src))
			return KT_ALLOW;
		if (req->dst.fam == KT_FAMILY_V6 && kt_addr_is_unspecified(&src) &&
		    kt_is_passthrough(&req->dst))
			return KT_ALLOW;
		/* outbound/sidecar-to-self-as-inbound */
		if (sidecar && (pod->flags & KT_POD_INBOUND) && !kt_is_localhost(&req->dst)) {
			__u16 port =
			    req->dst.fam == KT_FAMILY_V4 ? pod->inbound_port : pod->inbound_port6;

			return kt_redirect(ctx, req, port, KT_ORIGIN_INBOUND);
		}
		/* outbound/app-loopback */
		if (!sidecar)
			return KT_ALLOW;
	}
	/* outbound/sidecar, outbound/localhost */
	if (sidecar || kt_is_localhost(&req->dst))
		return KT_ALLOW;
	/* outbound/include-ports */
	if ((pod->flags & KT_POD_OUT_INCLUDE) &&
	    !kt_port_in_set(req->netns, pod, pod->out_port_set, req->port))
		return KT_ALLOW;
	/* outbound-redirect */
	return kt_redirect(ctx, req, pod->outbound_port, KT_ORIGIN_OUTBOUND);
}

/* UDP/53 (sendmsg and connected sockets): the output/dns rules of the rule backends. */
static __always_inline int kt_udp_dns(struct bpf_sock_addr *ctx, struct kt_req *req)
{
	const struct kt_pod *pod = req->pod;
	__u32 aflags;

	if (req->port != KT_DNS_PORT || !kt_dns_enabled(pod, req->dst.fam))
		return KT_ALLOW;
	if (pod->n_uid_rules && kt_uid_excluded(req->netns, req->uid, KT_PROTO_UDP, req->port))
		return KT_ALLOW;
	aflags = kt_addr_flags(req->netns, pod, &req->dst);
	if (aflags & KT_ADDR_EXCLUDE_OUT)
		return KT_ALLOW;
	/* output/dns/sidecar-return */
	if (req->uid == pod->sidecar_uid)
		return KT_ALLOW;
	/* output/dns/redirect: every resolver, or only the resolv.conf ones */
	if (!(pod->flags & KT_POD_DNS_ALL) && !(aflags & KT_ADDR_DNS))
		return KT_ALLOW;
	return kt_redirect(ctx, req, pod->dns_port, KT_ORIGIN_DNS);
}

/* Fills req for this socket; false when the namespace or family is not intercepted. */
static __always_inline bool kt_begin(struct bpf_sock_addr *ctx, struct kt_req *req, bool v6sock)
{
	req->netns = bpf_get_netns_cookie(ctx);
	req->pod = kt_pod_lookup(req->netns);
	if (!req->pod)
		return false;
	req->v6sock = v6sock;
	if (!v6sock) {
		kt_addr_v4(&req->dst, ctx->user_ip4);
	} else {
		__u32 w[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			      ctx->user_ip6[3]};

		kt_addr_from_v6(&req->dst, w);
	}
	if (req->dst.fam == KT_FAMILY_V6 && !(req->pod->flags & KT_POD_IPV6))
		return false;
	req->port = bpf_ntohs((__u16)ctx->user_port);
	req->uid = kt_current_uid();
	return true;
}

static __always_inline int kt_connect(struct bpf_sock_addr *ctx, bool v6sock)
{
	struct kt_req req = {};

	if (ctx->type != SOCK_STREAM && ctx->type != SOCK_DGRAM)
		return KT_ALLOW;
	if (!kt_begin(ctx, &req, v6sock))
		return KT_ALLOW;
	if (ctx->protocol == IPPROTO_TCP)
		return kt_tcp_connect(ctx, &req);
	if (ctx->protocol == IPPROTO_UDP)
		return kt_udp_dns(ctx, &req);
	return KT_ALLOW;
}

static __always_inline int kt_sendmsg(struct bpf_sock_addr *ctx, bool v6sock)
{
	struct kt_req req = {};

	if (ctx->protocol != IPPROTO_UDP)
		return KT_ALLOW;
	if (bpf_ntohs((__u16)ctx->user_port) != KT_DNS_PORT)
		return KT_ALLOW;
	if (!kt_begin(ctx, &req, v6sock))
		return KT_ALLOW;
	return kt_udp_dns(ctx, &req);
}

/*
 * recvmsg / getpeername: if the socket was redirected and the address the kernel reports is
 * the loopback end we sent it to, show the original destination instead.
 */
static __always_inline int kt_restore(struct bpf_sock_addr *ctx, bool v6sock, bool dns_only)
{
	struct kt_origin *o;
	struct kt_addr seen, lo, orig;

	o = bpf_sk_storage_get(&kt_origins, ctx->sk, 0, 0);
	if (!o || o->kind == KT_ORIGIN_ACCEPTED)
		return KT_ALLOW;
	if (dns_only && o->kind != KT_ORIGIN_DNS)
		return KT_ALLOW;
	if ((__u16)ctx->user_port != o->redir_port)
		return KT_ALLOW;
	if (!v6sock) {
		kt_addr_v4(&seen, ctx->user_ip4);
	} else {
		__u32 w[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			      ctx->user_ip6[3]};

		kt_addr_from_v6(&seen, w);
	}
	kt_loopback_of(&lo, o->family);
	if (seen.fam != lo.fam || seen.a[0] != lo.a[0] || seen.a[1] != lo.a[1] ||
	    seen.a[2] != lo.a[2] || seen.a[3] != lo.a[3])
		return KT_ALLOW;
	kt_addr_from_v6(&orig, o->addr);
	struct kt_req req = {.v6sock = v6sock};

	kt_write_dst(ctx, &req, &orig, bpf_ntohs(o->port));
	return KT_ALLOW;
}

SEC("cgroup/connect4")
int kt_connect4(struct bpf_sock_addr *ctx)
{
	return kt_connect(ctx, false);
}

SEC("cgroup/connect6")
int kt_connect6(struct bpf_sock_addr *ctx)
{
	return kt_connect(ctx, true);
}

SEC("cgroup/sendmsg4")
int kt_sendmsg4(struct bpf_sock_addr *ctx)
{
	return kt_sendmsg(ctx, false);
}

SEC("cgroup/sendmsg6")
int kt_sendmsg6(struct bpf_sock_addr *ctx)
{
	return kt_sendmsg(ctx, true);
}

SEC("cgroup/recvmsg4")
int kt_recvmsg4(struct bpf_sock_addr *ctx)
{
	return kt_restore(ctx, false, true);
}

SEC("cgroup/recvmsg6")
int kt_recvmsg6(struct bpf_sock_addr *ctx)
{
	return kt_restore(ctx, true, true);
}

SEC("cgroup/getpeername4")
int kt_getpeername4(struct bpf_sock_addr *ctx)
{
	return kt_restore(ctx, false, false);
}

SEC("cgroup/getpeername6")
int kt_getpeername6(struct bpf_sock_addr *ctx)
{
	return kt_restore(ctx, true, false);
}
