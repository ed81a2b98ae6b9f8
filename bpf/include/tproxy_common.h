/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Helpers shared by the programs: addresses, the per-pod lookups and the exclusion checks.
 * Everything is static __always_inline; the entry programs stay small.
 */
#ifndef KT_TPROXY_COMMON_H
#define KT_TPROXY_COMMON_H

#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tproxy_maps.h"
#include "tproxy_shared.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#ifndef SOCK_STREAM
#define SOCK_STREAM 1
#endif
#ifndef SOCK_DGRAM
#define SOCK_DGRAM 2
#endif

/* Program return values of the cgroup hooks. */
#define KT_ALLOW 1
#define KT_REJECT 0 /* the syscall fails with EPERM */

#define KT_DNS_PORT 53
#define KT_LOOPBACK_IFINDEX 1 /* the loopback device has ifindex 1 in every namespace */

#define KT_IPV4_LOOPBACK 0x7f000001u	/* 127.0.0.1 */
#define KT_IPV4_PASSTHROUGH 0x7f000006u /* 127.0.0.6: Envoy's inbound passthrough source */

/* A destination as the hooks see it: IPv4 kept in a[0] (fam 4), or 16 bytes (fam 6). */
struct kt_addr {
	__u32 a[4]; /* net */
	__u8 fam;   /* KT_FAMILY_V4 / KT_FAMILY_V6 */
};

static __always_inline bool kt_is_v4_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff);
}

/* From the 4 words of an AF_INET6 sockaddr: IPv4-mapped addresses become IPv4. */
static __always_inline void kt_addr_from_v6(struct kt_addr *out, const __u32 a[4])
{
	if (kt_is_v4_mapped(a)) {
		out->fam = KT_FAMILY_V4;
		out->a[0] = a[3];
		out->a[1] = out->a[2] = out->a[3] = 0;
		return;
	}
	out->fam = KT_FAMILY_V6;
	out->a[0] = a[0];
	out->a[1] = a[1];
	out->a[2] = a[2];
	out->a[3] = a[3];
}

static __always_inline void kt_addr_v4(struct kt_addr *out, __u32 ip4)
{
	out->fam = KT_FAMILY_V4;
	out->a[0] = ip4;
	out->a[1] = out->a[2] = out->a[3] = 0;
}

/* The 4 words a structure keeps (IPv4-mapped for IPv4). */
static __always_inline void kt_addr_to_mapped(__u32 out[4], const struct kt_addr *in)
{
	if (in->fam == KT_FAMILY_V4) {
		out[0] = 0;
		out[1] = 0;
		out[2] = bpf_htonl(0x0000ffff);
		out[3] = in->a[0];
		return;
	}
	out[0] = in->a[0];
	out[1] = in->a[1];
	out[2] = in->a[2];
	out[3] = in->a[3];
}

static __always_inline bool kt_addr_is(const struct kt_addr *in, __u32 v4_host, __u8 v6_last)
{
	if (in->fam == KT_FAMILY_V4)
		return in->a[0] == bpf_htonl(v4_host);
	return in->a[0] == 0 && in->a[1] == 0 && in->a[2] == 0 && in->a[3] == bpf_htonl(v6_last);
}

/* 127.0.0.1 or ::1 exactly (the "localhost" of the rule backends). */
static __always_inline bool kt_is_localhost(const struct kt_addr *in)
{
	return kt_addr_is(in, KT_IPV4_LOOPBACK, 1);
}

/* 0.0.0.0 or ::: a socket not bound to an address yet. */
static __always_inline bool kt_addr_is_unspecified(const struct kt_addr *in)
{
	if (in->fam == KT_FAMILY_V4)
		return in->a[0] == 0;
	return (in->a[0] | in->a[1] | in->a[2] | in->a[3]) == 0;
}

/* 127.0.0.6 or ::6: the source Envoy binds for inbound passthrough connections. */
static __always_inline bool kt_is_passthrough(const struct kt_addr *in)
{
	return kt_addr_is(in, KT_IPV4_PASSTHROUGH, 6);
}

static __always_inline struct kt_pod *kt_pod_lookup(__u64 netns)
{
	return bpf_map_lookup_elem(&kt_pods, &netns);
}

/* Is `port` (host order) in the pod's port set `id`? Absent sets are empty. */
static __always_inline bool kt_port_in_set(__u64 netns, const struct kt_pod *pod, __u16 id,
					   __u16 port)
{
	struct kt_port_set_key key = {.netns = netns, .gen = pod->gen, .id = id};
	struct kt_port_set *set;

	if (!id)
		return false;
	set = bpf_map_lookup_elem(&kt_port_sets, &key);
	if (!set)
		return false;
	return (set->bits[(port >> 6) & (KT_PORT_SET_WORDS - 1)] >> (port & 63)) & 1;
}

/* KT_ADDR_* flags of the longest prefix of this pod containing `addr` (0 if none). */
static __always_inline __u32 kt_addr_flags(__u64 netns, const struct kt_pod *pod,
					   const struct kt_addr *addr)
{
	struct kt_addr_key key = {
	    .prefixlen = KT_ADDR_PREFIX_BASE + (addr->fam == KT_FAMILY_V4 ? 32 : 128),
	    .tag = KT_ADDR_TAG(pod->gen, addr->fam),
	    .netns = netns,
	};
	__u32 *flags;

	key.addr[0] = addr->a[0];
	key.addr[1] = addr->a[1];
	key.addr[2] = addr->a[2];
	key.addr[3] = addr->a[3];
	flags = bpf_map_lookup_elem(&kt_addrs, &key);
	return flags ? *flags : 0;
}

/*
 * --exclude-outbound-ports-for-uids: does a rule of the pod exclude this uid, protocol
 * (KT_PROTO_*) and port? A global function (uid_rules.bpf.c): the verifier checks it once on its
 * own instead of once per path of every caller, which keeps the loop over the rules from
 * multiplying the verification cost of the hooks. Returns 1 if excluded.
 */
int kt_uid_excluded(__u64 netns, __u32 uid, __u32 proto, __u32 port);

static __always_inline bool kt_dns_enabled(const struct kt_pod *pod, __u8 fam)
{
	return pod->flags & (fam == KT_FAMILY_V4 ? KT_POD_DNS_V4 : KT_POD_DNS_V6);
}

static __always_inline __u32 kt_current_uid(void)
{
	return (__u32)bpf_get_current_uid_gid();
}

/*
 * A 4-byte field of a socket, read with one load at a constant offset. The verifier rejects
 * pointer arithmetic on socket pointers, which clang emits when it merges the loads of two
 * branches into one load through a computed address; inline asm cannot be merged.
 */
#define KT_SK_LOAD(sk, field)                                                                      \
	({                                                                                         \
		__u32 __v;                                                                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(__v)                                                           \
			     : "r"(sk), "i"(__builtin_offsetof(struct bpf_sock, field)));          \
		__v;                                                                               \
	})

/* A socket's two ends, IPv4-mapped (works for AF_INET and AF_INET6 sockets). */
static __always_inline void kt_sock_ends(struct bpf_sock *sk, __u32 local[4], __u32 remote[4])
{
	if (KT_SK_LOAD(sk, family) == AF_INET) {
		local[0] = local[1] = remote[0] = remote[1] = 0;
		local[2] = remote[2] = bpf_htonl(0x0000ffff);
		local[3] = KT_SK_LOAD(sk, src_ip4);
		remote[3] = KT_SK_LOAD(sk, dst_ip4);
		return;
	}
	local[0] = KT_SK_LOAD(sk, src_ip6[0]);
	local[1] = KT_SK_LOAD(sk, src_ip6[1]);
	local[2] = KT_SK_LOAD(sk, src_ip6[2]);
	local[3] = KT_SK_LOAD(sk, src_ip6[3]);
	remote[0] = KT_SK_LOAD(sk, dst_ip6[0]);
	remote[1] = KT_SK_LOAD(sk, dst_ip6[1]);
	remote[2] = KT_SK_LOAD(sk, dst_ip6[2]);
	remote[3] = KT_SK_LOAD(sk, dst_ip6[3]);
}

#endif /* KT_TPROXY_COMMON_H */
