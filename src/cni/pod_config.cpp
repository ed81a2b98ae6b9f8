#include "cni/pod_config.h"

#include <spdlog/spdlog.h>

#include "config/annotations.h"

namespace kt::cni {

namespace {

void putAdminParts(const AdminPolicy& admin, config::Config& cfg) {
  for (const auto& [file, hex] : admin.ebpfProgramsSha256)
    cfg.ebpf.programsSha256[file] = hex;
  cfg.ebpf.stateDir = admin.stateDir + "/ebpf";
}

}  // namespace

Result<config::Loaded> adminConfig(const AdminPolicy& admin,
                                   const std::optional<PodRecord>& record) {
  KT_ASSIGN_OR_RETURN(auto loaded, config::fromAdminConfig(admin.pod));
  putAdminParts(admin, loaded.config);
  if (record) record->applyTo(loaded.config);
  return loaded;
}

Result<config::Loaded> configFromPod(const Pod& pod, const AdminPolicy& admin,
                                     const std::optional<IpAddress>& podAddress) {
  // Kuma 2.9's ConfigMap mode puts the merged configuration into the annotation
  // traffic.kuma.io/transparent-proxy-config, and Kuma's CNI builds the configuration from it.
  // We honour it the same way, above the administrator's tproxy_config and below the pod's other
  // annotations (Kuma's ConfigMap precedence: annotation > ConfigMap > control plane), and like
  // them limited to pod-level settings and those the administrator allows.
  std::string who = "pod " + pod.ns + "/" + pod.name;
  if (pod.annotations.count(config::kConfigAnnotation) != 0) {
    spdlog::info("{}: using the configuration of annotation {}", who, config::kConfigAnnotation);
  }
  KT_ASSIGN_OR_RETURN(auto loaded,
                      config::fromPodAnnotations(pod.annotations, who, admin.pod, podAddress));
  for (const auto& w : loaded.warnings)
    spdlog::warn("{}: {}", who, w);
  putAdminParts(admin, loaded.config);
  return loaded;
}

}  // namespace kt::cni
