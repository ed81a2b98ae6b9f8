#include "backend/nftables/nftables_backend.h"

#include <spdlog/spdlog.h>

#include "backend/nftables/nft_installer.h"
#include "iptables/builder.h"
#include "iptables/nft_plan.h"
#include "iptables/render_nft.h"
#include "sys/netlink_addr.h"

namespace kt::backend::nftables {

namespace {

class NftablesBackend final : public Backend {
 public:
  NftablesBackend(config::Config cfg, config::Facts facts)
      : cfg_(std::move(cfg)), facts_(std::move(facts)), ipv6_(facts_.ipv6) {}

  std::string name() const override { return "nftables"; }

  Result<std::string> render() override {
    return rules::renderNft(rules::build(cfg_, ruleFacts()),
                            rules::NftOptions{cfg_.comments, true});
  }

  Status install() override {
    if (ipv6_) {
      Status s;
      if (auto added = sys::addPassthroughV6(facts_.loopbackIface, facts_.loopbackIndex); !added) {
        s = std::move(added).takeError();
      }
      if (!s) {
        if (cfg_.ipFamilyModeExplicit) {
          return std::move(s).takeError().context("preparing IPv6 redirection");
        }
        spdlog::warn("cannot add ::6/128 to {} ({}); IPv6 traffic will not be redirected",
                     facts_.loopbackIface, s.error().message());
        ipv6_ = false;
      }
    }
    auto plan = currentPlan();
    auto report = installPlan(plan);
    if (!report) {
      Error e = std::move(report).takeError();
      if (e.kind() == ErrorKind::kPermission) {
        return std::move(e).hint("installing rules needs root or CAP_NET_ADMIN");
      }
      return e;
    }
    if (report->unchanged) {
      spdlog::info("nftables: table inet {} already matches the configuration; left as is",
                   plan.table);
      return {};
    }
    size_t elements = 0;
    for (const auto& s : plan.sets)
      elements += s.size();
    spdlog::info("nftables: {} table inet {} ({} chains, {} rules, {} sets with {} elements{})",
                 report->replaced ? "replaced" : "created", plan.table, plan.chains.size(),
                 plan.ruleCount(), plan.sets.size(), elements, ipv6_ ? "" : ", IPv4 only");
    return {};
  }

  Result<VerifyReport> verify() override {
    KT_ASSIGN_OR_RETURN(auto diffs, verifyPlan(currentPlan()));
    return VerifyReport{std::move(diffs)};
  }

  Result<std::vector<std::string>> installedState() override {
    KT_ASSIGN_OR_RETURN(bool exists, tableExists(rules::kNftTable));
    std::vector<std::string> out;
    if (exists) out.push_back("IPv4 and IPv6: table inet " + std::string(rules::kNftTable));
    return out;
  }

  Status uninstall() override {
    KT_ASSIGN_OR_RETURN(bool existed, removeTable(rules::kNftTable));
    if (existed) {
      spdlog::info("nftables: removed table inet {}", rules::kNftTable);
    } else {
      spdlog::debug("nftables: table inet {} not present", rules::kNftTable);
    }
    return {};
  }

 private:
  rules::NftPlan currentPlan() const {
    return rules::lowerToNft(rules::build(cfg_, ruleFacts()),
                             rules::NftLowerOptions{cfg_.comments});
  }
  // The facts the rules are built from: the run's, with this backend's own IPv6 decision.
  config::Facts ruleFacts() const {
    config::Facts f = facts_;
    f.ipv6 = ipv6_;
    return f;
  }

  config::Config cfg_;
  const config::Facts facts_;  // the run's facts, pod network included (backend/pod_network.h)
  // Whether IPv6 rules go in: facts_.ipv6, unless install() could not add ::6 to loopback
  // (logged there).
  bool ipv6_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::Facts& facts) {
  return std::unique_ptr<Backend>(new NftablesBackend(cfg, facts));
}

std::unique_ptr<Backend> forUninstall(const config::Config& cfg) {
  if (!nftablesAvailable()) return nullptr;
  return std::make_unique<NftablesBackend>(cfg, config::Facts{});
}

}  // namespace kt::backend::nftables
