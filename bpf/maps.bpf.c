// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The single definition of every map, linked into each object (see tproxy_maps.h). */
#define KT_DEFINE_MAPS
#include "tproxy_maps.h"

/* Read by the loader from the object file: an object built for another layout is refused. */
const volatile __u32 kt_layout_version = KT_LAYOUT_VERSION;

/* GPL: bpf_sk_storage_get and the socket map helpers are GPL-only. */
char _license[] SEC("license") = "Dual BSD/GPL";
