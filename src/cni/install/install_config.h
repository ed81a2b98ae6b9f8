// The installer's configuration, from environment variables with Kuma's install-cni names and
// defaults (plus a few of ours, marked). See docs/cni.md for the table.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "cni/request.h"

namespace kt::cni {

struct InstallConfig {
  std::string cniNetDir = "/etc/cni/net.d";                // CNI_NET_DIR (host view)
  std::string mountedCniNetDir = "/host/etc/cni/net.d";    // MOUNTED_CNI_NET_DIR
  std::string confName;                                    // CNI_CONF_NAME ("" = detect)
  std::string networkConfigTemplate;                       // CNI_NETWORK_CONFIG ("" = built-in)
  bool chained = true;                                     // CHAINED_CNI_PLUGIN
  std::string logLevel = "info";                           // CNI_LOG_LEVEL
  std::string kubeconfigName = "ZZZ-kuma-cni-kubeconfig";  // KUBECFG_FILE_NAME
  std::string serviceHost;                                 // KUBERNETES_SERVICE_HOST (required)
  std::string servicePort = "443";                         // KUBERNETES_SERVICE_PORT
  std::string serviceProtocol = "https";                   // KUBERNETES_SERVICE_PROTOCOL
  std::string caFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";  // KUBE_CA_FILE
  std::chrono::seconds checkInterval{1};                                        // CFGCHECK_INTERVAL
  std::chrono::seconds tokenRefreshInterval{60};  // REFRESH_SA_TOKEN_INTERVAL
  bool sleep = true;                              // SLEEP
  // Ours:
  std::string tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";  // KUBE_TOKEN_FILE
  std::vector<std::string> binDirs = {"/host/opt/cni/bin", "/host/secondary-bin-dir"};
  // ^ MOUNTED_CNI_BIN_DIR, MOUNTED_CNI_SECONDARY_BIN_DIR
  std::string pluginSource = "/proc/self/exe";  // CNI_PLUGIN_SOURCE
  std::string readyFile = "/tmp/ready";         // READY_FILE
  std::chrono::seconds confWaitTimeout{300};    // CNI_CONF_WAIT_TIMEOUT
  // Race repair (cni/install/repair.h):
  bool repairEnabled = true;                        // REPAIR_ENABLED
  std::chrono::milliseconds repairInterval{10000};  // REPAIR_INTERVAL ("10s", "200ms", "1m")
  uint32_t repairMaxPerPass = 20;                   // REPAIR_MAX_PER_INTERVAL
  std::string nodeName;                             // NODE_NAME (downward API)
  std::string metricsAddr = "127.0.0.1:15014";      // METRICS_ADDR ("" = no endpoint)

  // Host path of the kubeconfig, as the plugin (running on the host) sees it.
  std::string kubeconfigHostPath() const;
  // Where the installer writes it (its mount of the host directory).
  std::string kubeconfigMountedPath() const;
};

// Reads and validates every variable; all problems are reported together (kConfig).
Result<InstallConfig> installConfigFromEnv(const EnvLookup& env);

// A duration as Kubernetes manifests write them: a number with the unit ms, s or m, or a bare
// number of seconds. kConfig error naming `name` when malformed or outside [min, max].
Result<std::chrono::milliseconds> parseDuration(const std::string& name, const std::string& text,
                                                std::chrono::milliseconds min,
                                                std::chrono::milliseconds max);

// Kuma's fallback network configuration template.
const char* defaultNetworkConfigTemplate();

}  // namespace kt::cni
