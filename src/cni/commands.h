// The CNI commands. Each returns the Reply that handle() prints; none of them throws. ADD, CHECK,
// DEL and the installer's repair run in the pod's namespace through the same run pipeline as
// the CLI (app/pipeline.h), with the plugin's lock_dir.
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

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cni/net_conf.h"
#include "cni/plugin.h"
#include "cni/pod.h"
#include "cni/request.h"

namespace kt::cni {

// What ADD does with a pod it has read from the API server: a reason to leave it alone (its
// namespace is excluded, skipReason(), annotations that disable it) or its configuration and
// run options (configFromPod: CNI mode, no netnsPath yet). `podAddress` is the pod's address
// from the interface plugin's result (if known), the eBPF instance IP unless the pod's
// configuration sets one. ADD, CHECK and the installer's repair all decide here.
// Errors: configFromPod's (kConfig, naming the pod).
struct PodPlan {
  std::optional<std::string> skip;
  config::Config cfg;
  config::RunOptions run;
};
Result<PodPlan> planPod(const Pod& pod, const NetConf& conf,
                        const std::optional<IpAddress>& podAddress = {});

// The installer's repair of one pod: under the namespace's lock (ADD's lock, so a concurrent
// ADD and a repair serialize), enters run.netnsPath, verifies `cfg` there (CHECK's comparison)
// and, when something is missing or differs, installs it (ADD's install, which replaces our
// previous state). Returns the differences found: empty when the namespace already matched and
// nothing was changed. The lock wait ends at `deadline`.
Result<std::vector<std::string>> ensureInstalled(const config::Config& cfg,
                                                 const config::RunOptions& run, const NetConf& conf,
                                                 std::chrono::steady_clock::time_point deadline);

Reply cmdAdd(const Request& req, const NetConf& conf);
Reply cmdCheck(const Request& req, const NetConf& conf);
Reply cmdDel(const Request& req, const NetConf& conf);
Reply cmdStatus(const NetConf& conf);

}  // namespace kt::cni
