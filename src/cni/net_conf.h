// The network configuration the runtime streams on stdin, parsed in three stages so each
// failure gets its own CNI error code:
//   decodeJson()        text -> JSON object                       (code 6, failed to decode)
//   configVersion()     the cniVersion, checked against ours      (code 1, incompatible version)
//   parseNetConf()      fields and their types / ranges           (code 7, invalid network config)
//
// Fields (Kuma's names where Kuma has them, ours otherwise; unknown fields are ignored, as the
// reference plugins do):
//   cniVersion, name, type, prevResult           standard
//   log_level                                    off|error|warn|info|debug|trace (default info)
//   log_file                                     ours: also append log lines to this file
//   lock_dir                                     ours: per-netns lock files ("" = the shared
//                                                default of sys/netns_lock.h, /run/kuma-tproxy)
//   kubernetes.kubeconfig                        path of the plugin's kubeconfig (ADD/CHECK)
//   kubernetes.exclude_namespaces                pods in these namespaces are passed through
//   kubernetes.cni_bin_dir                       accepted for Kuma compatibility, unused
//   kubernetes.api_retries                       ours: attempts per API request (default 30)
//   kubernetes.api_retry_interval_ms             ours: pause between attempts (default 1000)
//   kubernetes.api_timeout_ms                    ours: deadline of one attempt (default 10000)
//   kubernetes.total_timeout_ms                  ours: deadline of one ADD or CHECK, all API
//                                                attempts and the lock wait included (default
//                                                60000: well under the kubelet's 2-minute
//                                                runtime request timeout)
//   tproxy_config, allow_pod_settings,           the administrator's transparent-proxy policy
//   allowed_backends, ebpf_programs_sha256,      (admin_policy.h)
//   state_dir
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cni/admin_policy.h"

namespace kt::cni {

struct KubernetesConf {
  std::string kubeconfig;
  std::vector<std::string> excludeNamespaces;
  uint32_t apiRetries = 30;
  std::chrono::milliseconds apiRetryInterval{1000};
  std::chrono::milliseconds apiTimeout{10000};
  std::chrono::milliseconds totalTimeout{60000};
};

struct NetConf {
  std::string cniVersion;
  std::string name;
  std::string type;
  std::optional<nlohmann::json> prevResult;
  std::string logLevel = "info";
  std::string logFile;
  std::string lockDir;  // "" = sys::lockDirectories()
  KubernetesConf kubernetes;
  AdminPolicy admin;

  bool namespaceExcluded(std::string_view ns) const;
};

// Bounds what we read from stdin: a network configuration with a prevResult is a few KiB.
inline constexpr size_t kMaxStdinBytes = 4 << 20;

Result<nlohmann::json> decodeJson(std::string_view text);
// The cniVersion of a decoded configuration. A missing cniVersion means 0.1.0 (libcni's rule),
// which we do not support; an unsupported one lists the versions we do.
Result<std::string> configVersion(const nlohmann::json& doc);
Result<NetConf> parseNetConf(const nlohmann::json& doc);

}  // namespace kt::cni
