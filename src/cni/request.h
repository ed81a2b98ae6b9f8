// The CNI execution environment: CNI_* variables parsed and validated into a Request.
//
// Validation follows the specification: the container id is alphanumeric first, then
// alphanumerics, '_', '.' and '-'; the interface name is 1-15 bytes, not "." or "..", without
// '/', ':' or whitespace; CNI_ARGS is "K=V;K2=V2". Which variables are required depends on the
// command (ADD/CHECK: container id, netns, ifname, path; DEL: container id, ifname, path;
// VERSION/STATUS/GC: none). Every error here is an invalid-environment error (code 4).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cni/spec.h"

namespace kt::cni {

// Looks up one environment variable; nullopt when unset. Tests pass a map, the plugin getenv.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup processEnv();

// CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=web;K8S_POD_NAMESPACE=default". Keys are kept in order;
// a later duplicate wins in get(). Empty pairs (";;") are skipped. A pair without '=' or with an
// empty key is an error naming the pair.
struct CniArgs {
  std::vector<std::pair<std::string, std::string>> pairs;
  static Result<CniArgs> parse(std::string_view text);
  std::optional<std::string> get(std::string_view key) const;
};

struct Request {
  Command command = Command::kVersion;
  std::string containerId;
  std::string netns;  // may be empty for DEL
  std::string ifname;
  CniArgs args;
  std::vector<std::string> path;  // CNI_PATH split on ':'

  // The pod identity from CNI_ARGS (Kubernetes conventions); empty when absent.
  std::string podName() const { return args.get("K8S_POD_NAME").value_or(""); }
  std::string podNamespace() const { return args.get("K8S_POD_NAMESPACE").value_or(""); }
  std::string podSandboxId() const { return args.get("K8S_POD_INFRA_CONTAINER_ID").value_or(""); }
};

// Reads CNI_COMMAND and the variables that command needs. Errors name every missing or invalid
// variable at once.
Result<Request> requestFromEnv(const EnvLookup& env);

// Kubernetes object names in a URL path: DNS-1123 subdomain (lower-case alphanumerics, '-',
// '.', at most 253 bytes, alphanumeric at both ends). Protects the API path from injection.
bool isValidObjectName(std::string_view name);

}  // namespace kt::cni
