/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the programs. maps.bpf.c defines them (KT_DEFINE_MAPS); the other files see
 * extern declarations and the BPF linker (bpftool gen object) resolves them, so each linked
 * object has exactly one instance of each map. The loader pins them under
 * <bpffs>/kuma_tproxy_v<N>/maps/<name> and every later load reuses the pinned ones.
 */
#ifndef KT_TPROXY_MAPS_H
#define KT_TPROXY_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "tproxy_shared.h"

#ifdef KT_DEFINE_MAPS
#define KT_MAP
#else
#define KT_MAP extern
#endif

/* Per-pod configuration, keyed by network namespace cookie. */
KT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KT_MAX_PODS);
	__type(key, __u64);
	__type(value, struct kt_pod);
} kt_pods SEC(".maps");

/* Port bitmaps referenced by kt_pod (excluded/included ports, uid rules). */
KT_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KT_MAX_PORT_SETS);
	__type(key, struct kt_port_set_key);
	__type(value, struct kt_port_set);
} kt_port_sets SEC(".maps");

/* Address prefixes of every pod (excluded CIDRs, resolvers, local addresses). */
KT_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, KT_MAX_ADDRS);
	__type(key, struct kt_addr_key);
	__type(value, __u32);
} kt_addrs SEC(".maps");

/* Original destination of a redirected socket; freed with the socket. */
KT_MAP struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kt_origin);
} kt_origins SEC(".maps");

/* Redirected connections between the client's connect and the sidecar's getsockopt. */
KT_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KT_MAX_PENDING);
	__type(key, struct kt_tuple_key);
	__type(value, struct kt_origin);
} kt_pending SEC(".maps");

/* The sidecar's listening sockets; entries disappear when the socket closes. */
KT_MAP struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, KT_MAX_LISTENERS);
	__type(key, struct kt_listener_key);
	__type(value, __u64);
} kt_listeners SEC(".maps");

#endif /* KT_TPROXY_MAPS_H */
