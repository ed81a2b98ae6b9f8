#include "backend/pod_network.h"

#include <optional>

#include <spdlog/spdlog.h>

#include "sys/netlink_addr.h"

namespace kt::backend {

namespace {

constexpr const char* kNoIpv6 = "the namespace has no non-loopback IPv6 address";

}  // namespace

Result<config::Facts> podNetworkFacts(const config::Config& cfg, const config::RunOptions& run,
                                      config::Facts facts) {
  if (run.dryRun) return facts;
  auto ifs = sys::summarizeInterfaces(facts.ipv6 ? std::optional(Family::kV6) : std::nullopt);
  if (ifs.ok() && !ifs->loopback.empty()) {
    facts.loopbackIface = ifs->loopback;
    facts.loopbackIndex = ifs->loopbackIndex;
  }
  if (!facts.ipv6 || (ifs.ok() && ifs->nonLoopbackAddress)) return facts;
  if (cfg.ipFamilyModeExplicit) {
    if (!ifs.ok()) return std::move(ifs).takeError().context("checking for IPv6 addresses");
    return Error(ErrorKind::kUnsupported,
                 std::string("IPv6 rules were requested (dualstack) but cannot be installed: ") +
                     kNoIpv6)
        .hint("use --ip-family-mode ipv4, or give the namespace working IPv6");
  }
  if (!ifs.ok()) {
    spdlog::warn("IPv6 rules skipped: cannot list IPv6 addresses ({})", ifs.error().message());
  } else {
    spdlog::warn("IPv6 rules skipped: {}", kNoIpv6);
  }
  facts.ipv6 = false;
  return facts;
}

}  // namespace kt::backend
