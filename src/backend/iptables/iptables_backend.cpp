#include "backend/iptables/iptables_backend.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "backend/iptables/interfaces.h"
#include "backend/iptables/mode_choice.h"
#include "backend/iptables/netfilter_probe.h"
#include "backend/iptables/saved_ruleset.h"
#include "backend/iptables/tool_runner.h"
#include "backend/iptables/tools.h"
#include "iptables/builder.h"
#include "iptables/render_iptables.h"

namespace kt::backend::iptables {

namespace {

using config::Config;
using config::Facts;
using rules::Table;

constexpr Family kFamilies[] = {Family::kV4, Family::kV6};
constexpr const char* kOurTables[] = {"raw", "nat", "mangle"};
constexpr const char* kDockerOutputChain = "DOCKER_OUTPUT";

size_t idx(Family f) {
  return f == Family::kV4 ? 0 : 1;
}

std::string label(Mode m, Family f) {
  return std::string(Tools::prefix(f)) + "-" + modeName(m);
}

RunSettings runSettings(const Config& cfg) {
  RunSettings s;
  s.waitSeconds = cfg.waitSeconds;
  s.waitIntervalMicros = cfg.waitIntervalMicros;
  s.retry = cfg.retry;
  if (cfg.cniMode) {
    s.sandbox = true;
    // One lock per pod network namespace instead of the host-wide /run/xtables.lock (Kuma
    // #7823): flock on the namespace file itself. /proc/self/ns/net is the same inode seen
    // from the tool, which runs inside the namespace.
    s.lockFile = cfg.netnsPath.empty() ? "/proc/self/ns/net" : cfg.netnsPath;
  }
  return s;
}

// The saved raw/nat/mangle tables of family f in mode m, or nullopt when none of them exists
// (then no *-save run is needed: a fresh namespace costs nothing here).
Result<std::optional<SavedRuleset>> readState(ToolRunner& runner, const Tools& tools) {
  auto tables = existingTables(tools.mode, tools.family);
  bool mustSave = true;
  if (tables) {
    mustSave = std::any_of(std::begin(kOurTables), std::end(kOurTables),
                           [&](const char* t) { return tables->count(t) > 0; });
  } else {
    spdlog::debug("cannot list {} tables ({}); reading them with {}",
                  label(tools.mode, tools.family), tables.error().message(), tools.save);
  }
  if (!mustSave) return std::optional<SavedRuleset>();
  KT_ASSIGN_OR_RETURN(std::string text, runner.save(tools));
  return std::optional<SavedRuleset>(SavedRuleset::parse(text));
}

// Save lines we would install for this configuration, with and without comments: how rules
// installed with --disable-comments are recognized as ours.
std::set<std::string> renderedLines(const rules::Model& m, Family f) {
  std::set<std::string> out;
  for (bool comments : {true, false}) {
    for (const auto& t : rules::renderIptablesTables(m, f, rules::IptablesOptions{comments, false}))
      for (const auto& r : t.rules)
        out.insert(r.saveLine());
  }
  return out;
}

class IptablesBackend final : public Backend {
 public:
  struct FamilyState {
    std::optional<Tools> tools;
    // raw/nat/mangle before install (read by make()); nullopt = none of them existed.
    std::optional<SavedRuleset> before;
  };

  IptablesBackend(Config cfg, Facts facts, Mode mode, std::array<FamilyState, 2> fams,
                  ToolRunner runner)
      : cfg_(std::move(cfg)),
        facts_(std::move(facts)),
        mode_(mode),
        fams_(std::move(fams)),
        runner_(std::move(runner)) {}

  std::string name() const override {
    return mode_ == Mode::kAuto ? "iptables" : std::string("iptables-") + modeName(mode_);
  }

  Result<std::string> render() override {
    return rules::renderIptablesDryRun(rules::build(cfg_, facts_), options(cfg_.verbose));
  }

  Status install() override;
  Result<VerifyReport> verify() override;
  Status uninstall() override;

 private:
  rules::IptablesOptions options(bool verbose) const { return {cfg_.comments, verbose}; }
  std::vector<Family> installFamilies() const {
    std::vector<Family> out{Family::kV4};
    if (facts_.ipv6) out.push_back(Family::kV6);
    return out;
  }
  std::string composeInstall(const rules::Model& m, Family f, std::vector<std::string>& touched);
  std::string composeRollback(Family f, const std::vector<std::string>& touched) const;
  Status rollback(Family f, const std::vector<std::string>& touched);
  bool changedSinceMake(Family f, const std::vector<std::string>& touched,
                        const std::set<std::string>& matching);

  Config cfg_;
  Facts facts_;
  Mode mode_;
  std::array<FamilyState, 2> fams_;
  ToolRunner runner_;
};

std::string IptablesBackend::composeInstall(const rules::Model& m, Family f,
                                            std::vector<std::string>& touched) {
  const auto& before = fams_[idx(f)].before;
  auto rendered = rules::renderIptablesTables(m, f, options(false));
  auto matching = renderedLines(m, f);
  std::string out;
  for (const char* name : kOurTables) {
    std::vector<std::string> cleanup;
    if (before) {
      if (const SavedTable* t = before->find(name)) cleanup = cleanupLines(findOurs(*t, matching));
    }
    const rules::IptablesTable* r = nullptr;
    for (const auto& t : rendered)
      if (rules::tableName(t.table) == std::string_view(name)) r = &t;
    if (cleanup.empty() && !r) continue;
    touched.emplace_back(name);
    out += "*" + std::string(name) + "\n";
    // Our previous state goes first, in the same transaction: re-running never duplicates
    // rules and never hits "chain already exists".
    for (const auto& l : cleanup)
      out += l + "\n";
    if (r) {
      for (const auto& c : r->newChains)
        out += "-N " + c + "\n";
      for (const auto& rule : r->rules)
        out += rule.line() + "\n";
    }
    out += "COMMIT\n";
  }
  return out;
}

std::string IptablesBackend::composeRollback(Family f,
                                             const std::vector<std::string>& touched) const {
  // Each touched table goes back to its saved content; a table that did not exist is emptied.
  // Restored without --noflush, so this replaces the tables wholesale: a rule a third party
  // added in the few milliseconds since the save would be lost (Kuma's backup has the same
  // window).
  const auto& before = fams_[idx(f)].before;
  std::string out;
  for (const auto& name : touched) {
    const SavedTable* t = before ? before->find(name) : nullptr;
    out += t ? t->restoreText() : "*" + name + "\nCOMMIT\n";
  }
  return out;
}

Status IptablesBackend::rollback(Family f, const std::vector<std::string>& touched) {
  const Tools& tools = *fams_[idx(f)].tools;
  spdlog::warn("restoring the previous {} rules", familyName(f));
  return runner_.restore(tools, composeRollback(f, touched), /*noflush=*/false)
      .context("rolling back " + std::string(familyName(f)) + " rules");
}

// Whether our part of the touched tables differs from what make() read: after a failed restore
// this tells whether anything was committed (legacy and nft tools commit table by table).
bool IptablesBackend::changedSinceMake(Family f, const std::vector<std::string>& touched,
                                       const std::set<std::string>& matching) {
  const auto& before = fams_[idx(f)].before;
  auto now = runner_.save(*fams_[idx(f)].tools);
  if (!now) return true;  // unknown: assume the worst and restore
  SavedRuleset current = SavedRuleset::parse(*now);
  for (const auto& name : touched) {
    const SavedTable* a = before ? before->find(name) : nullptr;
    const SavedTable* b = current.find(name);
    OurState oa = a ? findOurs(*a, matching) : OurState{};
    OurState ob = b ? findOurs(*b, matching) : OurState{};
    if (oa.chains != ob.chains || oa.ruleLines != ob.ruleLines ||
        oa.chainRuleLines != ob.chainRuleLines) {
      return true;
    }
  }
  return false;
}

Status IptablesBackend::install() {
  rules::Model model = rules::build(cfg_, facts_);
  bool addedPassthrough = false;
  if (facts_.ipv6) {
    // Envoy binds its IPv6 inbound passthrough connections to ::6; it must be local.
    auto added = addPassthroughV6(facts_.loopbackIface);
    if (!added) {
      if (cfg_.ipFamilyModeExplicit) {
        return std::move(added).takeError().context("IPv6 (dualstack was requested)");
      }
      spdlog::warn("{}; installing IPv4 rules only", added.error().message());
      facts_.ipv6 = false;
      model = rules::build(cfg_, facts_);
    } else {
      addedPassthrough = *added;
    }
  }

  std::vector<std::pair<Family, std::vector<std::string>>> done;
  for (Family f : installFamilies()) {
    const Tools& tools = *fams_[idx(f)].tools;
    std::vector<std::string> touched;
    std::string input = composeInstall(model, f, touched);
    if (input.empty()) continue;
    if (cfg_.verbose) {
      spdlog::info("{} input:\n{}", tools.restore, input);
    } else {
      spdlog::debug("{} input:\n{}", tools.restore, input);
    }
    Status st = runner_.restore(tools, input, /*noflush=*/true);
    if (st) {
      done.emplace_back(f, std::move(touched));
      continue;
    }
    // All or nothing: this family may have committed some tables, earlier ones all of them.
    Error err = std::move(st).takeError().context("installing " + std::string(familyName(f)) +
                                                  " rules with " + label(mode_, f));
    if (changedSinceMake(f, touched, renderedLines(model, f)))
      done.emplace_back(f, std::move(touched));
    std::string rollbackProblems;
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      if (auto rb = rollback(it->first, it->second); !rb) {
        rollbackProblems += "; " + rb.error().message();
      }
    }
    if (addedPassthrough) {
      if (auto rm = removePassthroughV6(facts_.loopbackIface); !rm) {
        rollbackProblems += "; " + rm.error().message();
      }
    }
    if (!rollbackProblems.empty()) {
      return Error(err.kind(), err.message() + "; the rollback failed too" + rollbackProblems)
          .hint("inspect with iptables-save / ip6tables-save and run `kuma-tproxy uninstall`");
    }
    return err;
  }
  spdlog::info("transparent proxy rules installed with {} ({}{}; {} program runs)", name(), "IPv4",
               facts_.ipv6 ? " and IPv6" : " only", runner_.execs());
  return okStatus();
}

Result<VerifyReport> IptablesBackend::verify() {
  VerifyReport report;
  rules::Model model = rules::build(cfg_, facts_);
  for (Family f : kFamilies) {
    if (!fams_[idx(f)].tools) continue;
    const Tools& tools = *fams_[idx(f)].tools;
    KT_ASSIGN_OR_RETURN(std::string text, runner_.save(tools));
    SavedRuleset saved = SavedRuleset::parse(text);
    bool expectAny = f == Family::kV4 || facts_.ipv6;
    std::vector<rules::IptablesTable> expected;
    if (expectAny) expected = rules::renderIptablesTables(model, f, options(false));
    auto matching = renderedLines(model, f);
    for (const char* name : kOurTables) {
      std::string where = std::string(familyName(f)) + " " + name;
      // Expected and found, per chain, in order.
      std::map<std::string, std::vector<std::string>> want, have;
      std::vector<std::string> wantChains, haveChains;
      for (const auto& t : expected) {
        if (rules::tableName(t.table) != std::string_view(name)) continue;
        wantChains = t.newChains;
        for (const auto& r : t.rules)
          want[r.chain].push_back(r.saveLine());
      }
      if (const SavedTable* t = saved.find(name)) {
        OurState ours = findOurs(*t, matching);
        haveChains = ours.chains;
        for (const auto* lines : {&ours.ruleLines, &ours.chainRuleLines})
          for (const auto& l : *lines)
            have[ruleChain(l)].push_back(l);
      }
      for (const auto& c : wantChains)
        if (std::find(haveChains.begin(), haveChains.end(), c) == haveChains.end())
          report.differences.push_back("- missing chain in " + where + ": " + c);
      for (const auto& c : haveChains)
        if (std::find(wantChains.begin(), wantChains.end(), c) == wantChains.end())
          report.differences.push_back("+ unexpected chain in " + where + ": " + c);
      std::set<std::string> chains;
      for (const auto& [c, _] : want)
        chains.insert(c);
      for (const auto& [c, _] : have)
        chains.insert(c);
      for (const auto& c : chains) {
        auto w = want[c], h = have[c];
        std::multiset<std::string> ws(w.begin(), w.end()), hs(h.begin(), h.end());
        bool sameSet = ws == hs;
        for (const auto& l : w) {
          if (auto it = hs.find(l); it != hs.end()) {
            hs.erase(it);
          } else {
            report.differences.push_back("- missing in " + where + ": " + l);
          }
        }
        for (const auto& l : hs)
          report.differences.push_back("+ unexpected in " + where + ": " + l);
        if (sameSet && w != h) {
          report.differences.push_back("~ rules of chain " + c + " in " + where +
                                       " are in another order than expected");
        }
      }
    }
  }
  return report;
}

Status IptablesBackend::uninstall() {
  rules::Model model = rules::build(cfg_, facts_);
  for (Family f : kFamilies) {
    if (!fams_[idx(f)].tools) continue;
    const Tools& tools = *fams_[idx(f)].tools;
    KT_ASSIGN_OR_RETURN(auto state, readState(runner_, tools));
    if (!state) continue;
    auto matching = renderedLines(model, f);
    std::string input;
    size_t rules = 0, chains = 0;
    for (const char* name : kOurTables) {
      const SavedTable* t = state->find(name);
      if (!t) continue;
      OurState ours = findOurs(*t, matching);
      if (ours.empty()) continue;
      rules += ours.ruleLines.size() + ours.chainRuleLines.size();
      chains += ours.chains.size();
      input += "*" + std::string(name) + "\n";
      for (const auto& l : cleanupLines(ours))
        input += l + "\n";
      input += "COMMIT\n";
    }
    if (input.empty()) {
      spdlog::debug("no {} rules of ours", label(mode_, f));
      continue;
    }
    spdlog::debug("{} input:\n{}", tools.restore, input);
    if (Status st = runner_.restore(tools, input, /*noflush=*/true); !st) {
      return std::move(st).takeError().context("removing " + std::string(familyName(f)) +
                                               " rules with " + label(mode_, f));
    }
    spdlog::info("removed {} rules and {} chains of ours with {}", rules, chains, label(mode_, f));
  }
  return okStatus();
}

// Which mode, and the IPv4 state of the chosen mode (read while choosing when needed).
struct ModeDecision {
  Mode mode;
  Tools v4;
  std::optional<SavedRuleset> before;
};

Result<ModeDecision> decideMode(const Config& cfg, Mode forced, ToolRunner& runner) {
  if (forced != Mode::kAuto) {
    auto tools = findTools(Family::kV4, forced, runner.execCounter());
    if (!tools) {
      return std::move(tools)
          .takeError()
          .context("--backend iptables-" + std::string(modeName(forced)))
          .hint("install the iptables tools of that mode, or use --backend iptables");
    }
    spdlog::info("using {}: requested with --backend", label(forced, Family::kV4));
    KT_ASSIGN_OR_RETURN(auto before, readState(runner, *tools));
    return ModeDecision{forced, *tools, std::move(before)};
  }
  (void)cfg;
  std::map<Mode, Result<Tools>> tools;
  std::map<Mode, std::optional<SavedRuleset>> states;
  ModeObservation obs[2];
  for (Mode m : {Mode::kLegacy, Mode::kNft}) {
    auto t = findTools(Family::kV4, m, runner.execCounter());
    ModeObservation& o = obs[m == Mode::kLegacy ? 0 : 1];
    o.toolsFound = t.ok();
    tools.emplace(m, std::move(t));
  }
  if (obs[0].toolsFound && obs[1].toolsFound) {
    // Only now does the existing state matter; in a fresh namespace it costs no program run.
    for (Mode m : {Mode::kLegacy, Mode::kNft}) {
      KT_ASSIGN_OR_RETURN(auto state, readState(runner, tools.at(m).value()));
      ModeObservation& o = obs[m == Mode::kLegacy ? 0 : 1];
      if (state) {
        o.hasRules = state->hasRules();
        const SavedTable* nat = state->find("nat");
        o.dockerOutput = nat && nat->hasChain(kDockerOutputChain);
      }
      states[m] = std::move(state);
    }
  }
  auto choice = chooseMode(obs[0], obs[1]);
  if (!choice) {
    std::string why;
    for (auto& [m, t] : tools)
      why += "; " + t.error().message();
    return std::move(choice).takeError().context("iptables backend" + why);
  }
  if (choice->conflict) {
    spdlog::warn(
        "both iptables-legacy and iptables-nft have rules in this namespace; using {} ({})",
        label(choice->mode, Family::kV4), choice->reason);
  } else {
    spdlog::info("using {}: {}", label(choice->mode, Family::kV4), choice->reason);
  }
  Tools chosen = tools.at(choice->mode).value();
  std::optional<SavedRuleset> before;
  if (states.count(choice->mode)) {
    before = std::move(states[choice->mode]);
  } else {
    KT_ASSIGN_OR_RETURN(before, readState(runner, chosen));
  }
  return ModeDecision{choice->mode, std::move(chosen), std::move(before)};
}

// Why IPv6 rules cannot go in, or nullopt when they can (before probing the nat table).
std::optional<std::string> ipv6Obstacle(Mode mode, const std::optional<Tools>& tools6,
                                        const Result<Tools>& found, const InterfaceFacts& ifs) {
  if (!tools6) return "no " + label(mode, Family::kV6) + " tools: " + found.error().message();
  if (!ifs.nonLoopbackIpv6) return std::string("the namespace has no non-loopback IPv6 address");
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, config::Facts facts, Mode mode) {
  ToolRunner runner(runSettings(cfg));
  std::array<IptablesBackend::FamilyState, 2> fams;
  if (cfg.dryRun) {
    // Dry-run prints what the configuration asks for, identically on every machine: no probes.
    return std::unique_ptr<Backend>(
        new IptablesBackend(cfg, std::move(facts), mode, std::move(fams), std::move(runner)));
  }
  KT_ASSIGN_OR_RETURN(ModeDecision d, decideMode(cfg, mode, runner));
  fams[0].tools = d.v4;
  fams[0].before = std::move(d.before);
  // Docker's embedded DNS: the sidecar's DNS must go through DOCKER_OUTPUT (IPv4 nat).
  if (fams[0].before) {
    const SavedTable* nat = fams[0].before->find("nat");
    facts.dockerOutputChain = nat && nat->hasChain(kDockerOutputChain);
  }
  if (facts.dockerOutputChain && cfg.dns.enabled && cfg.dns.captureAll &&
      cfg.dns.conntrackZoneSplit) {
    spdlog::warn(
        "Docker's DOCKER_OUTPUT chain exists: the DNS conntrack zone split is disabled for IPv4");
  }

  KT_ASSIGN_OR_RETURN(InterfaceFacts ifs, readInterfaces());
  facts.loopbackIface = ifs.loopback;
  auto found6 = findTools(Family::kV6, d.mode, runner.execCounter());
  if (found6) fams[1].tools = *found6;
  if (facts.ipv6) {
    auto why = ipv6Obstacle(d.mode, fams[1].tools, found6, ifs);
    if (!why) {
      // Read the state before probing: the legacy probe instantiates the ip6 nat table, and a
      // table that exists costs a *-save run.
      KT_ASSIGN_OR_RETURN(fams[1].before, readState(runner, *fams[1].tools));
      if (auto nat = probeIpv6Nat(d.mode); !nat) why = nat.error().message();
    }
    if (why) {
      if (cfg.ipFamilyModeExplicit) {
        return Error(ErrorKind::kUnsupported,
                     "IPv6 rules were requested (--ip-family-mode "
                     "dualstack) but cannot be installed: " +
                         *why)
            .hint("use --ip-family-mode ipv4, or give the namespace working IPv6");
      }
      spdlog::warn("IPv6 rules skipped: {}", *why);
      facts.ipv6 = false;
    }
  }
  return std::unique_ptr<Backend>(
      new IptablesBackend(cfg, std::move(facts), d.mode, std::move(fams), std::move(runner)));
}

std::vector<std::unique_ptr<Backend>> forUninstall(const config::Config& cfg) {
  std::vector<std::unique_ptr<Backend>> out;
  config::Facts facts;
  if (!cfg.kumaDpUser.empty() &&
      cfg.kumaDpUser.find_first_not_of("0123456789") == std::string::npos &&
      cfg.kumaDpUser.size() <= 9) {
    facts.kumaDpUid = static_cast<uint32_t>(std::stoul(cfg.kumaDpUser));
  }
  for (Mode m : {Mode::kLegacy, Mode::kNft}) {
    ToolRunner runner(runSettings(cfg));
    std::array<IptablesBackend::FamilyState, 2> fams;
    for (Family f : kFamilies) {
      if (auto t = findTools(f, m, runner.execCounter())) fams[idx(f)].tools = *t;
    }
    if (!fams[0].tools && !fams[1].tools) continue;
    out.push_back(std::unique_ptr<Backend>(
        new IptablesBackend(cfg, facts, m, std::move(fams), std::move(runner))));
  }
  return out;
}

}  // namespace kt::backend::iptables
