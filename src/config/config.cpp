#include "config/config.h"

#include <spdlog/spdlog.h>

namespace kt::config {

const char* backendName(Backend b) {
  for (const auto& n : kBackendNames)
    if (n.backend == b) return n.name;
  return "?";
}

std::optional<Backend> backendByName(std::string_view name) {
  for (const auto& n : kBackendNames)
    if (name == n.name) return n.backend;
  return std::nullopt;
}

std::string backendNameList(std::string_view sep, std::string_view lastSep) {
  std::string out;
  for (size_t i = 0; i < kBackendNames.size(); ++i) {
    if (i > 0) out += i + 1 == kBackendNames.size() ? lastSep : sep;
    out += kBackendNames[i].name;
  }
  return out;
}

const char* ipFamilyModeName(IpFamilyMode m) {
  return m == IpFamilyMode::kDualStack ? "dualstack" : "ipv4";
}

Backend Config::effectiveBackend() const {
  if (backend != Backend::kAuto) return backend;
  if (ebpf.enabled) return Backend::kEbpf;
  return Backend::kIptables;
}

std::string SidecarUser::str() const {
  return uid ? std::to_string(*uid) : name;
}

void normalizeLists(Config& cfg) {
  cfg.inbound.excludePorts = normalizePorts(std::move(cfg.inbound.excludePorts));
  cfg.inbound.includePorts = normalizePorts(std::move(cfg.inbound.includePorts));
  cfg.outbound.excludePorts = normalizePorts(std::move(cfg.outbound.excludePorts));
  cfg.outbound.includePorts = normalizePorts(std::move(cfg.outbound.includePorts));
  cfg.inbound.excludeIps = normalizeCidrs(std::move(cfg.inbound.excludeIps));
  cfg.outbound.excludeIps = normalizeCidrs(std::move(cfg.outbound.excludeIps));
  for (auto& e : cfg.outbound.excludePortsForUids)
    e.ports = normalizePorts(std::move(e.ports));
}

std::optional<std::string> unnormalizedList(const Config& cfg) {
  if (!isNormalized(cfg.inbound.excludePorts)) return "inbound.excludePorts";
  if (!isNormalized(cfg.inbound.includePorts)) return "inbound.includePorts";
  if (!isNormalized(cfg.outbound.excludePorts)) return "outbound.excludePorts";
  if (!isNormalized(cfg.outbound.includePorts)) return "outbound.includePorts";
  if (!isNormalized(cfg.inbound.excludeIps)) return "inbound.excludeIps";
  if (!isNormalized(cfg.outbound.excludeIps)) return "outbound.excludeIps";
  for (const auto& e : cfg.outbound.excludePortsForUids) {
    if (!isNormalized(e.ports)) return "outbound.excludePortsForUids";
  }
  return std::nullopt;
}

const Config& withNormalizedLists(const Config& cfg, std::optional<Config>& copy,
                                  std::string_view user) {
  auto list = unnormalizedList(cfg);
  if (!list) return cfg;
  // A caller that built the Config without the config stage: a bug, but one that must neither
  // stop an install nor render wrong rules (an unsorted nft interval set is refused by the
  // kernel), so it is reported and repaired here.
  spdlog::error("internal error: {} reached {} unnormalized; normalizing it there", *list, user);
  copy = cfg;
  normalizeLists(*copy);
  return *copy;
}

}  // namespace kt::config
