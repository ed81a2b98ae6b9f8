// From a pod's annotations to the transparent-proxy configuration (the config stage in CNI mode).
#pragma once

#include "base/result.h"
#include "cni/admin_policy.h"
#include "cni/pod.h"
#include "cni/pod_record.h"
#include "config/loader.h"

namespace kt::cni {

// The pod's configuration with RunOptions::cniMode set: the administrator's tproxy_config, then
// the pod's config annotation and annotations, limited by the administrator's policy
// (config::fromPodAnnotations); the administrator's ebpf_programs_sha256 and state_dir are put
// in. `podAddress` (the interface plugin's address for the pod, if known) is the eBPF
// instance IP unless a layer sets one. `disabled` when its annotations turn transparent
// proxying off. kConfig errors name the annotation (and key) and value, or the administrator
// setting that would allow it.
Result<config::Loaded> configFromPod(const Pod& pod, const AdminPolicy& admin,
                                     const std::optional<IpAddress>& podAddress = {});

// DEL's configuration (it has no pod): the administrator's tproxy_config over the defaults,
// with state_dir put in, and the node paths ADD recorded using (`record`, if any; a pod the
// administrator allowed to choose them chose its own). RunOptions::cniMode is set.
Result<config::Loaded> adminConfig(const AdminPolicy& admin,
                                   const std::optional<PodRecord>& record = std::nullopt);

}  // namespace kt::cni
