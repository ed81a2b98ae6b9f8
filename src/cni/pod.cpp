#include "cni/pod.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "cni/json_parse.h"

namespace kt::cni {

using nlohmann::json;

namespace {

Result<std::vector<std::string>> containerNames(const json& spec, const char* key) {
  std::vector<std::string> names;
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return names;
  if (!it->is_array()) return Error::runtime(std::string("spec.") + key + " is not a list");
  for (const auto& c : *it) {
    if (!c.is_object()) return Error::runtime(std::string("spec.") + key + " has a non-object");
    auto n = c.find("name");
    if (n == c.end() || !n->is_string()) {
      return Error::runtime(std::string("spec.") + key + " has a container without a name");
    }
    names.push_back(n->get<std::string>());
  }
  return names;
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

Result<Pod> Pod::fromJson(std::string_view body) {
  auto parsed = parseJson(body, "the API server's answer");
  if (!parsed) return Error::runtime(parsed.error().message());
  json doc = std::move(*parsed);
  if (!doc.is_object()) {
    return Error::runtime("the API server's answer is not a JSON object");
  }
  if (auto kind = doc.find("kind"); kind != doc.end() && (*kind) != "Pod") {
    return Error::runtime("the API server answered with a " +
                          (kind->is_string() ? kind->get<std::string>() : std::string("?")) +
                          " instead of a Pod");
  }
  Pod pod;
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return Error::runtime("the pod has no metadata");
  if (auto v = meta->find("namespace"); v != meta->end() && v->is_string()) pod.ns = *v;
  if (auto v = meta->find("name"); v != meta->end() && v->is_string()) pod.name = *v;
  if (auto a = meta->find("annotations"); a != meta->end() && !a->is_null()) {
    if (!a->is_object()) return Error::runtime("metadata.annotations is not an object");
    for (const auto& [k, v] : a->items()) {
      if (!v.is_string()) return Error::runtime("annotation " + k + " is not a string");
      pod.annotations[k] = v.get<std::string>();
    }
  }
  if (auto spec = doc.find("spec"); spec != doc.end() && spec->is_object()) {
    KT_ASSIGN_OR_RETURN(pod.containers, containerNames(*spec, "containers"));
    KT_ASSIGN_OR_RETURN(pod.initContainers, containerNames(*spec, "initContainers"));
  }
  return pod;
}

std::optional<std::string> skipReason(const Pod& pod) {
  if (contains(pod.initContainers, kInitContainer)) {
    return std::string("it has a ") + kInitContainer + " init container";
  }
  if (!contains(pod.containers, kSidecarContainer) &&
      !contains(pod.initContainers, kSidecarContainer)) {
    return std::string("it has no ") + kSidecarContainer + " container";
  }
  auto it = pod.annotations.find(kSidecarInjectedAnnotation);
  if (it == pod.annotations.end() || it->second != "true") {
    return std::string("annotation ") + kSidecarInjectedAnnotation + " is not \"true\"";
  }
  return std::nullopt;
}

}  // namespace kt::cni
