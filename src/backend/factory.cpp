#include "backend/backend.h"
#include "backend/ebpf/ebpf_backend.h"
#include "backend/iptables/iptables_backend.h"
#include "backend/nftables/nftables_backend.h"

namespace kt::backend {

using Kind = config::Backend;

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, config::Facts facts) {
  switch (cfg.effectiveBackend()) {
    case Kind::kAuto:
    case Kind::kIptables:
      return iptables::make(cfg, std::move(facts), iptables::Mode::kAuto);
    case Kind::kIptablesLegacy:
      return iptables::make(cfg, std::move(facts), iptables::Mode::kLegacy);
    case Kind::kIptablesNft:
      return iptables::make(cfg, std::move(facts), iptables::Mode::kNft);
    case Kind::kNftables:
      return nftables::make(cfg, std::move(facts));
    case Kind::kEbpf:
      return ebpf::make(cfg, std::move(facts));
  }
  return Error::runtime("unknown backend");
}

std::vector<std::unique_ptr<Backend>> makeAllForUninstall(const config::Config& cfg) {
  auto all = iptables::forUninstall(cfg);
  if (auto nft = nftables::forUninstall(cfg)) all.push_back(std::move(nft));
  if (auto bpf = ebpf::forUninstall(cfg)) all.push_back(std::move(bpf));
  return all;
}

}  // namespace kt::backend
