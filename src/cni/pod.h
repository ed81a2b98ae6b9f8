// The parts of a Kubernetes Pod object the plugin needs, and the decision whether to set up
// transparent proxying for it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kt::cni {

struct Pod {
  std::string ns;
  std::string name;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> containers;      // spec.containers[].name
  std::vector<std::string> initContainers;  // spec.initContainers[].name
  std::string nodeName;                     // spec.nodeName
  bool hostNetwork = false;                 // spec.hostNetwork
  std::string phase;                        // status.phase
  std::vector<std::string> ips;             // status.podIPs[].ip (as the API writes them)

  // Parses the JSON body of GET /api/v1/namespaces/{ns}/pods/{name}. Errors (kRuntime) say which
  // part of the object is malformed; missing lists and annotations are simply empty.
  static Result<Pod> fromJson(std::string_view body);
  // Parses a PodList (GET /api/v1/pods?...): every item as fromJson would. An item that does
  // not parse is an error naming it: the caller must not act on a partial view.
  static Result<std::vector<Pod>> listFromJson(std::string_view body);
};

inline constexpr const char* kSidecarInjectedAnnotation = "kuma.io/sidecar-injected";
inline constexpr const char* kSidecarContainer = "kuma-sidecar";
inline constexpr const char* kInitContainer = "kuma-init";

// Why this pod gets no rules from us, or nullopt when it does. Kuma's rules, in its order: the
// pod already runs the kuma-init init container (it sets up its own rules); it has no
// kuma-sidecar container (regular or init, the latter being a native sidecar); the annotation
// kuma.io/sidecar-injected is not exactly "true".
std::optional<std::string> skipReason(const Pod& pod);

}  // namespace kt::cni
