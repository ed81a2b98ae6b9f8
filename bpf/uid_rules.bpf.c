// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The uid exclusion rules of a pod (see kt_uid_excluded in tproxy_common.h). The rules are
 * walked with bpf_loop(): its callback is verified once for any index, where a plain loop would
 * be verified once per iteration.
 */
#include "tproxy_common.h"

struct kt_uid_scan {
	__u64 netns;
	struct kt_pod *pod;
	__u32 uid;
	__u32 proto;
	__u32 port;
	int hit;
};

static int kt_uid_rule(__u32 i, void *data)
{
	struct kt_uid_scan *s = data;
	struct kt_pod *pod = s->pod;
	const struct kt_uid_rule *r;

	if (i >= pod->n_uid_rules)
		return 1;
	r = &pod->uid_rules[i & (KT_MAX_UID_RULES - 1)];
	if (s->uid < r->uid_first || s->uid > r->uid_last || !(r->protos & s->proto))
		return 0;
	if (!r->port_set || kt_port_in_set(s->netns, pod, r->port_set, (__u16)s->port)) {
		s->hit = 1;
		return 1;
	}
	return 0;
}

__attribute__((noinline)) int kt_uid_excluded(__u64 netns, __u32 uid, __u32 proto, __u32 port)
{
	struct kt_uid_scan s = {.netns = netns, .uid = uid, .proto = proto, .port = port};

	s.pod = kt_pod_lookup(netns);
	if (!s.pod || !s.pod->n_uid_rules)
		return 0;
	bpf_loop(KT_MAX_UID_RULES, kt_uid_rule, &s, 0);
	return s.hit;
}
