// The CNI commands. Each returns the Reply that handle() prints; none of them throws.
//
// ADD    look the pod up in the API server, decide (skip rules in pod.h), build its configuration
//        from its annotations (cniMode), install it in CNI_NETNS; output prevResult converted to
//        the configuration's cniVersion.
// CHECK  same lookup and configuration, then verify() in CNI_NETNS; drift is error 100 with the
//        differences in details.
// DEL    uninstall every backend's state in CNI_NETNS; never needs the API server; success when
//        the namespace is gone, was never set up, or was already cleaned (DEL is idempotent).
// STATUS ready when the kubeconfig can be read (the installer has done its work), else 50.
// GC     nothing to collect: all our state lives in the pod's namespace and dies with it.
#pragma once

#include "cni/net_conf.h"
#include "cni/plugin.h"
#include "cni/request.h"

namespace kt::cni {

Reply cmdAdd(const Request& req, const NetConf& conf);
Reply cmdCheck(const Request& req, const NetConf& conf);
Reply cmdDel(const Request& req, const NetConf& conf);
Reply cmdStatus(const NetConf& conf);

}  // namespace kt::cni
