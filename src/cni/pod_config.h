// From a pod's annotations to the transparent-proxy configuration (the config stage in CNI mode).
#pragma once

#include "base/result.h"
#include "cni/pod.h"
#include "config/loader.h"

namespace kt::cni {

// The pod's configuration with Config::cniMode set. `disabled` when its annotations turn
// transparent proxying off. kConfig errors name the annotation and value.
Result<config::Loaded> configFromPod(const Pod& pod);

}  // namespace kt::cni
