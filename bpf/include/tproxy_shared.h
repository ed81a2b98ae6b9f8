/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The contract between the BPF programs and the loader (src/backend/ebpf): map keys and values,
 * flag bits and limits. Fixed-width types only and no implicit padding; the C++ side checks every
 * size and offset with static_assert (src/backend/ebpf/layout.h).
 *
 * Byte order: addresses and ports marked "net" are in network byte order, everything else in host
 * order. Addresses are 4 words; an IPv4 address is kept IPv4-mapped (::ffff:a.b.c.d) wherever a
 * structure can hold both families, so an AF_INET6 socket talking IPv4 and an AF_INET socket
 * agree on the same bytes.
 *
 * Changing anything here is a layout change: bump KT_LAYOUT_VERSION, which renames the pin
 * directory (kuma_tproxy_v<N>) so an older binary's pins are detected instead of misread.
 */
#ifndef KT_TPROXY_SHARED_H
#define KT_TPROXY_SHARED_H

#include <linux/types.h>

#define KT_LAYOUT_VERSION 1

/*
 * The immediate of the 64-bit load in kt_sk_lookup that the loader replaces with the namespace
 * cookie ("kt_netns" in ASCII; no suffix, it is also pasted into BPF assembly).
 */
#define KT_NETNS_COOKIE_MARKER 0x6b745f6e65746e73

/* Per-pod limits. Port sets are bitmaps, so the number of excluded ports is unlimited. */
#define KT_MAX_UID_RULES 16
#define KT_PORT_SET_WORDS 1024 /* 65536 bits */

/* Map sizes (entries). Hash maps are not preallocated: memory follows use. */
#define KT_MAX_PODS 8192
#define KT_MAX_PORT_SETS 65536
#define KT_MAX_ADDRS 262144
#define KT_MAX_PENDING 16384
#define KT_MAX_LISTENERS 16384

/* kt_pod.flags */
#define KT_POD_IPV6 (1u << 0)	     /* intercept IPv6 (IPv4-mapped traffic counts as IPv4) */
#define KT_POD_OUTBOUND (1u << 1)    /* redirect outbound TCP */
#define KT_POD_INBOUND (1u << 2)     /* steer inbound TCP to the sidecar */
#define KT_POD_DNS_V4 (1u << 3)	     /* redirect UDP/53 to IPv4 resolvers */
#define KT_POD_DNS_V6 (1u << 4)	     /* redirect UDP/53 to IPv6 resolvers */
#define KT_POD_DNS_ALL (1u << 5)     /* any resolver, not only the KT_ADDR_DNS ones */
#define KT_POD_OUT_INCLUDE (1u << 6) /* out_port_set lists the only redirected ports */
#define KT_POD_IN_INCLUDE (1u << 7)  /* in_port_set lists the only steered ports */
#define KT_POD_BIND_SRC4 (1u << 8)   /* bind redirected IPv4 connects to src4 */
#define KT_POD_BIND_SRC6 (1u << 9)   /* bind redirected IPv6 connects to src6 */

/* kt_uid_rule.protos */
#define KT_PROTO_TCP (1u << 0)
#define KT_PROTO_UDP (1u << 1)

/* One --exclude-outbound-ports-for-uids entry. */
struct kt_uid_rule {
	__u32 uid_first;
	__u32 uid_last;
	__u16 port_set; /* id in kt_port_sets; 0 = every port */
	__u8 protos;	/* KT_PROTO_* */
	__u8 pad;
};

/* kt_pods value, keyed by the pod's network namespace cookie (__u64). */
struct kt_pod {
	__u32 gen;	   /* generation of this pod's kt_port_sets and kt_addrs entries */
	__u32 flags;	   /* KT_POD_* */
	__u32 sidecar_uid; /* kuma-dp: never redirected, owner of the steered listeners */
	__u32 in_ifindex;  /* inbound steering only on this interface; 0 = any but loopback */
	__u16 outbound_port;
	__u16 inbound_port;
	__u16 inbound_port6;
	__u16 dns_port;
	__u16
	    out_port_set;  /* excluded (or included, KT_POD_OUT_INCLUDE) outbound ports; 0 = none */
	__u16 in_port_set; /* excluded (or included, KT_POD_IN_INCLUDE) inbound ports; 0 = none */
	__u32 n_uid_rules;
	__u32 src4;    /* net: source for redirected IPv4 connects (KT_POD_BIND_SRC4) */
	__u32 src6[4]; /* net: source for redirected IPv6 connects (KT_POD_BIND_SRC6) */
	struct kt_uid_rule uid_rules[KT_MAX_UID_RULES];
};

/* kt_port_sets key. id 0 is never used (0 means "no set" in kt_pod). */
struct kt_port_set_key {
	__u64 netns;
	__u32 gen;
	__u16 id;
	__u16 pad;
};

struct kt_port_set {
	__u64 bits[KT_PORT_SET_WORDS]; /* bit p%64 of word p/64 set = port p is in the set */
};

/*
 * kt_addrs: one LPM trie for every pod. The key's leading 96 bits (tag + netns) are always
 * part of the prefix, so a pod only ever matches its own entries of its current generation.
 */
#define KT_ADDR_PREFIX_BASE 96
#define KT_ADDR_TAG(gen, family) ((((__u32)(gen)) << 8) | ((__u32)(family)&0xff))
#define KT_FAMILY_V4 4
#define KT_FAMILY_V6 6

struct kt_addr_key {
	__u32 prefixlen; /* KT_ADDR_PREFIX_BASE + the CIDR prefix length */
	__u32 tag;	 /* KT_ADDR_TAG(pod gen, KT_FAMILY_V4/V6) */
	__u64 netns;
	__u32 addr[4]; /* net; IPv4 uses addr[0] only (not mapped: the family is in the tag) */
};

/*
 * kt_addrs value: flags of the longest matching prefix. The loader stores on every prefix the
 * union of its own flags and those of all shorter prefixes that contain it, so the longest
 * match alone answers "is this address covered by any prefix of kind X".
 */
#define KT_ADDR_EXCLUDE_OUT (1u << 0) /* outbound destination never redirected */
#define KT_ADDR_EXCLUDE_IN (1u << 1)  /* inbound source never steered */
#define KT_ADDR_DNS (1u << 2)	      /* a resolv.conf nameserver (host entries only) */
#define KT_ADDR_LOCAL (1u << 3)	      /* routed over loopback: 127/8, ::1, the pod's addresses */

/* kt_origins (socket storage) and kt_pending values. */
#define KT_ORIGIN_OUTBOUND 1 /* app connect redirected to the outbound port */
#define KT_ORIGIN_INBOUND 2  /* sidecar connect to the pod's own address, to the inbound port */
#define KT_ORIGIN_DNS 3	     /* UDP/53 redirected to the DNS port */
#define KT_ORIGIN_ACCEPTED 4 /* sidecar's accepted socket: origin copied from kt_pending */

struct kt_origin {
	__u32 addr[4];	  /* net, IPv4-mapped for IPv4: the original destination */
	__u16 port;	  /* net: the original destination port */
	__u16 redir_port; /* net: where the socket was sent instead (on loopback) */
	__u8 family;	  /* KT_FAMILY_V4/V6 of the original destination */
	__u8 kind;	  /* KT_ORIGIN_* */
	__u16 pad;
};

/*
 * kt_pending: a redirected connection between connect and the sidecar's getsockopt, keyed as
 * both ends see it (client = the connecting socket's local end).
 */
struct kt_tuple_key {
	__u64 netns;
	__u32 client[4];   /* net, IPv4-mapped */
	__u32 server[4];   /* net, IPv4-mapped */
	__u16 client_port; /* net */
	__u16 server_port; /* net */
	__u32 pad;
};

/* kt_listeners (SOCKHASH): the sidecar's TCP listeners, registered when they call listen(). */
struct kt_listener_key {
	__u64 netns;
	__u16 port;   /* host order */
	__u16 family; /* AF_INET / AF_INET6 of the listening socket */
	__u32 pad;
};

/* Names shared with the loader: maps, programs, objects. */
#define KT_OBJ_CGROUP "kuma_tproxy_cgroup.bpf.o"
#define KT_OBJ_NETNS "kuma_tproxy_netns.bpf.o"

#endif /* KT_TPROXY_SHARED_H */
