#include "cni/pod_config.h"

#include <spdlog/spdlog.h>

namespace kt::cni {

Result<config::Loaded> configFromPod(const Pod& pod) {
  // Kuma 2.9's ConfigMap mode puts the merged configuration into the annotation
  // traffic.kuma.io/transparent-proxy-config, and Kuma's CNI builds the configuration from it.
  // We honour it the same way: it is the config-file layer, and the pod's other annotations
  // override it (Kuma's ConfigMap precedence: annotation > ConfigMap > control plane).
  std::string who = "pod " + pod.ns + "/" + pod.name;
  if (pod.annotations.count(kTransparentProxyConfigAnnotation) != 0) {
    spdlog::info("{}: using the configuration of annotation {}", who,
                 kTransparentProxyConfigAnnotation);
  }
  KT_ASSIGN_OR_RETURN(auto loaded, config::fromPodAnnotations(pod.annotations, who, true));
  for (const auto& w : loaded.warnings)
    spdlog::warn("{}: {}", who, w);
  loaded.config.cniMode = true;
  return loaded;
}

}  // namespace kt::cni
