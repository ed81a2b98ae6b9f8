#include "cni/pod_config.h"

#include <spdlog/spdlog.h>

namespace kt::cni {

Result<config::Loaded> configFromPod(const Pod& pod) {
  if (pod.annotations.count(kTransparentProxyConfigAnnotation) != 0) {
    spdlog::warn("pod {}/{}: annotation {} is not honoured yet; using the other annotations",
                 pod.ns, pod.name, kTransparentProxyConfigAnnotation);
  }
  return config::fromAnnotations(pod.annotations, "pod " + pod.ns + "/" + pod.name, true);
}

}  // namespace kt::cni
