#include "backend/backend.h"
#include "backend/ebpf/ebpf_backend.h"
#include "backend/iptables/iptables_backend.h"
#include "backend/nftables/nftables_backend.h"
#include "backend/single_layer.h"

namespace kt::backend {

using Kind = config::Backend;

namespace {

Result<std::unique_ptr<Backend>> makeChosen(const config::Config& cfg,
                                            const config::RunOptions& run,
                                            const config::Facts& facts) {
  switch (cfg.effectiveBackend()) {
    case Kind::kAuto:
    case Kind::kIptables:
      return iptables::make(cfg, run, facts, iptables::Mode::kAuto);
    case Kind::kIptablesLegacy:
      return iptables::make(cfg, run, facts, iptables::Mode::kLegacy);
    case Kind::kIptablesNft:
      return iptables::make(cfg, run, facts, iptables::Mode::kNft);
    case Kind::kNftables:
      return nftables::make(cfg, facts);
    case Kind::kEbpf:
      return ebpf::make(cfg, run, facts);
  }
  return Error::runtime("unknown backend");
}

// Whether `--backend requested` names a backend of kind `kind`: auto names every backend,
// iptables both iptables modes, every other value itself.
bool names(Kind requested, Kind kind) {
  if (requested == Kind::kAuto) return true;
  if (requested == Kind::kIptables) {
    return kind == Kind::kIptablesLegacy || kind == Kind::kIptablesNft;
  }
  return requested == kind;
}

// The kind of a backend of makeAllForUninstall(), by its name.
Kind kindOf(const Backend& b) {
  return config::backendByName(b.name()).value_or(Kind::kAuto);
}

}  // namespace

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      const config::Facts& facts) {
  KT_ASSIGN_OR_RETURN(auto chosen, makeChosen(cfg, run, facts));
  return singleLayer(cfg, run, std::move(chosen));
}

std::vector<std::unique_ptr<Backend>> makeAllForUninstall(const config::Config& cfg,
                                                          const config::RunOptions& run) {
  auto all = iptables::forUninstall(cfg, run);
  if (auto nft = nftables::forUninstall(cfg)) all.push_back(std::move(nft));
  if (auto bpf = ebpf::forUninstall(cfg, run)) all.push_back(std::move(bpf));
  return all;
}

Result<std::vector<Present>> presentBackends(const config::Config& cfg,
                                             const config::RunOptions& run) {
  std::vector<Present> out;
  for (auto& b : makeAllForUninstall(cfg, run)) {
    auto state = b->installedState();
    if (!state) {
      return std::move(state).takeError().context("reading the " + b->name() + " state");
    }
    if (state->empty()) continue;
    Kind kind = kindOf(*b);
    out.push_back(Present{std::move(b), kind, std::move(*state)});
  }
  return out;
}

Result<UninstallSelection> presentForUninstall(const config::Config& cfg,
                                               const config::RunOptions& run) {
  UninstallSelection out;
  if (cfg.backend != Kind::kAuto) {
    out.requested = cfg.backend;
  } else if (cfg.ebpf.enabled) {
    out.requested = Kind::kEbpf;
  }
  KT_ASSIGN_OR_RETURN(auto present, presentBackends(cfg, run));
  for (auto& p : present) {
    if (names(out.requested, p.kind)) {
      out.chosen.push_back(std::move(p));
    } else {
      out.others.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace kt::backend
