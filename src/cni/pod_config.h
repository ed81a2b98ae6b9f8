// From a pod's annotations to the transparent-proxy configuration (the config stage in CNI mode).
#pragma once

#include "base/result.h"
#include "cni/admin_policy.h"
#include "cni/pod.h"
#include "config/loader.h"

namespace kt::cni {

// The pod's configuration with Config::cniMode set: the administrator's tproxy_config, then the
// pod's config annotation and annotations, limited by the administrator's policy
// (config::fromPodAnnotations); the administrator's ebpf_programs_sha256 and state_dir are put
// in. `disabled` when its annotations turn transparent proxying off. kConfig errors name the
// annotation (and key) and value, or the administrator setting that would allow it.
Result<config::Loaded> configFromPod(const Pod& pod, const AdminPolicy& admin);

// DEL's configuration (it has no pod): the administrator's tproxy_config over the defaults,
// with state_dir put in.
Result<config::Config> adminConfig(const AdminPolicy& admin);

}  // namespace kt::cni
