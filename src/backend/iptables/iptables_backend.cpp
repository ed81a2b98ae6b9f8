#include "backend/iptables/iptables_backend.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "backend/iptables/mode_choice.h"
#include "backend/iptables/netfilter_probe.h"
#include "backend/iptables/restore_input.h"
#include "backend/iptables/saved_ruleset.h"
#include "backend/iptables/tool_runner.h"
#include "backend/iptables/tools.h"
#include "iptables/builder.h"
#include "iptables/render_iptables.h"
#include "sys/netlink_addr.h"

namespace kt::backend::iptables {

namespace {

using config::Config;
using config::Facts;

constexpr Family kFamilies[] = {Family::kV4, Family::kV6};
constexpr const char* kDockerOutputChain = "DOCKER_OUTPUT";

size_t idx(Family f) {
  return f == Family::kV4 ? 0 : 1;
}

std::string label(Mode m, Family f) {
  return std::string(Tools::prefix(f)) + "-" + modeName(m);
}

RunSettings runSettings(const Config& cfg, const config::RunOptions& run) {
  RunSettings s;
  s.waitSeconds = cfg.waitSeconds;
  s.waitIntervalMicros = cfg.waitIntervalMicros;
  s.retry = cfg.retry;
  if (run.cniMode) {
    s.sandbox = true;
    // One lock per pod network namespace instead of the host-wide /run/xtables.lock (Kuma
    // #7823): flock on the namespace file itself. /proc/self/ns/net is the same inode seen
    // from the tool, which runs inside the namespace.
    s.lockFile = run.netnsPath.empty() ? "/proc/self/ns/net" : run.netnsPath;
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

  // `dockerOutputChain` and `ipv6` are make()'s own findings (see the members).
  IptablesBackend(Config cfg, bool verbose, Facts facts, Mode mode, std::array<FamilyState, 2> fams,
                  ToolRunner runner, bool dockerOutputChain, bool ipv6)
      : cfg_(std::move(cfg)),
        verbose_(verbose),
        facts_(std::move(facts)),
        mode_(mode),
        fams_(std::move(fams)),
        runner_(std::move(runner)),
        dockerOutputChain_(dockerOutputChain),
        ipv6_(ipv6) {}

  std::string name() const override {
    return mode_ == Mode::kAuto ? "iptables" : std::string("iptables-") + modeName(mode_);
  }

  Result<std::string> render() override {
    return rules::renderIptablesDryRun(rules::build(cfg_, ruleFacts()), options(verbose_));
  }

  Status install() override;
  Result<VerifyReport> verify() override;
  Status uninstall() override;
  Result<std::vector<std::string>> installedState() override;

 private:
  rules::IptablesOptions options(bool verbose) const { return {cfg_.comments, verbose}; }
  // The facts the rules are built from: the run's, with this backend's own findings.
  Facts ruleFacts() const {
    Facts f = facts_;
    f.dockerOutputChain = dockerOutputChain_;
    f.ipv6 = ipv6_;
    return f;
  }
  std::vector<Family> installFamilies() const {
    std::vector<Family> out{Family::kV4};
    if (ipv6_) out.push_back(Family::kV6);
    return out;
  }
  // One family's restore of an install.
  struct FamilyInstall {
    Family family;
    std::string input;
    std::vector<std::string> touched;
    std::optional<Status> result;  // nullopt: not run (an earlier family failed first)
  };
  void runRestores(std::vector<FamilyInstall>& jobs);
  Status undoInstall(Error err, const FamilyInstall& failed, bool partial,
                     std::vector<std::pair<Family, std::vector<std::string>>> done,
                     bool addedPassthrough);
  Status rollback(Family f, const std::vector<std::string>& touched);
  bool changedSinceMake(Family f, const std::vector<std::string>& touched,
                        const std::set<std::string>& matching);

  Config cfg_;
  bool verbose_;       // RunOptions::verbose
  const Facts facts_;  // the run's facts, pod network included (backend/pod_network.h)
  Mode mode_;
  std::array<FamilyState, 2> fams_;
  ToolRunner runner_;
  // Docker's DOCKER_OUTPUT chain is in the IPv4 nat table make() read: the sidecar's DNS jumps
  // there. Always false in a dry-run (nothing is read).
  bool dockerOutputChain_;
  // Whether IPv6 rules go in: facts_.ipv6, unless make() found no ip6tables tools or (legacy)
  // no IPv6 nat table, or install() found the IPv6 restore failing for want of IPv6 nat
  // (nf_tables), or could not add ::6 to loopback. Each of those is logged where it is found.
  bool ipv6_;
};

Status IptablesBackend::rollback(Family f, const std::vector<std::string>& touched) {
  const Tools& tools = *fams_[idx(f)].tools;
  spdlog::warn("restoring the previous {} rules", familyName(f));
  // Restored without --noflush, so this replaces the touched tables wholesale: a rule a third
  // party added in the few milliseconds since make() read them would be lost (Kuma's backup
  // restore has the same window).
  return runner_.restore(tools, rollbackInput(fams_[idx(f)].before, touched), /*noflush=*/false)
      .context("rolling back " + std::string(familyName(f)) + " rules");
}

// Whether our part of the touched tables differs from what make() read: after a failed restore
// this tells whether anything was committed (legacy and nft tools commit table by table).
bool IptablesBackend::changedSinceMake(Family f, const std::vector<std::string>& touched,
                                       const std::set<std::string>& matching) {
  auto now = runner_.save(*fams_[idx(f)].tools);
  if (!now) return true;  // unknown: assume the worst and restore
  return oursDiffer(fams_[idx(f)].before, SavedRuleset::parse(*now), touched, matching);
}

Status IptablesBackend::install() {
  rules::Model model = rules::build(cfg_, ruleFacts());
  bool addedPassthrough = false;
  if (ipv6_) {
    // Envoy binds its IPv6 inbound passthrough connections to ::6; it must be local.
    auto added = sys::addPassthroughV6(facts_.loopbackIface, facts_.loopbackIndex);
    if (!added) {
      if (cfg_.ipFamilyModeExplicit) {
        return std::move(added).takeError().context("IPv6 (dualstack was requested)");
      }
      spdlog::warn("{}; installing IPv4 rules only", added.error().message());
      ipv6_ = false;
      model = rules::build(cfg_, ruleFacts());
    } else {
      addedPassthrough = *added;
    }
  }

  std::vector<FamilyInstall> jobs;
  for (Family f : installFamilies()) {
    FamilyInstall j{f, {}, {}, std::nullopt};
    j.input = installInput(rules::renderIptablesTables(model, f, options(false)),
                           fams_[idx(f)].before, renderedLines(model, f), j.touched);
    if (j.input.empty()) continue;
    const Tools& tools = *fams_[idx(f)].tools;
    if (verbose_) {
      spdlog::info("{} input:\n{}", tools.restore, j.input);
    } else {
      spdlog::debug("{} input:\n{}", tools.restore, j.input);
    }
    jobs.push_back(std::move(j));
  }
  runRestores(jobs);

  std::vector<std::pair<Family, std::vector<std::string>>> done;
  const FamilyInstall* failed = nullptr;  // the first family (in family order) that failed
  for (const auto& j : jobs) {
    if (!j.result) continue;
    if (*j.result) {
      done.emplace_back(j.family, j.touched);
    } else if (!failed) {
      failed = &j;
    }
  }
  if (failed) {
    // All or nothing: this family may have committed some tables, earlier ones all of theirs.
    const Family f = failed->family;
    Error err =
        Error(failed->result->error())
            .context("installing " + std::string(familyName(f)) + " rules with " + label(mode_, f));
    bool partial = changedSinceMake(f, failed->touched, renderedLines(model, f));
    bool skipIpv6 = false;
    if (f == Family::kV6 && mode_ == Mode::kNft) {
      if (auto nat = probeIpv6Nat(mode_); !nat) {
        // A namespace without IPv6 nat: like Kuma, go on with IPv4 alone, unless dualstack
        // was asked for explicitly or IPv6 cannot be undone.
        Status undo = partial ? rollback(f, failed->touched) : okStatus();
        if (!cfg_.ipFamilyModeExplicit && undo) {
          spdlog::warn("IPv6 rules skipped: {}", nat.error().message());
          if (addedPassthrough) {
            if (auto rm = sys::removePassthroughV6(facts_.loopbackIface); !rm) {
              spdlog::warn("{}", rm.error().message());
            }
          }
          ipv6_ = false;
          skipIpv6 = true;
        } else {
          partial = partial && !undo;
          err = Error(err.kind(), err.message() + " (" + nat.error().message() + ")")
                    .hint("use --ip-family-mode ipv4, or give the namespace working IPv6 nat");
        }
      }
    }
    if (!skipIpv6) return undoInstall(std::move(err), *failed, partial, done, addedPassthrough);
  }
  spdlog::info("transparent proxy rules installed with {} ({}{}; {} program runs)", name(), "IPv4",
               ipv6_ ? " and IPv6" : " only", runner_.execs());
  return okStatus();
}

Status IptablesBackend::undoInstall(Error err, const FamilyInstall& failed, bool partial,
                                    std::vector<std::pair<Family, std::vector<std::string>>> done,
                                    bool addedPassthrough) {
  if (partial) done.emplace_back(failed.family, failed.touched);
  std::string rollbackProblems;
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    if (auto rb = rollback(it->first, it->second); !rb) {
      rollbackProblems += "; " + rb.error().message();
    }
  }
  if (addedPassthrough) {
    if (auto rm = sys::removePassthroughV6(facts_.loopbackIface); !rm) {
      rollbackProblems += "; " + rm.error().message();
    }
  }
  if (!rollbackProblems.empty()) {
    return Error(err.kind(), err.message() + "; the rollback failed too" + rollbackProblems)
        .hint("inspect with iptables-save / ip6tables-save and run `kuma-tproxy uninstall`");
  }
  return err;
}

void IptablesBackend::runRestores(std::vector<FamilyInstall>& jobs) {
  // One after the other; the first failure stops (what ran is undone by the caller). Not at
  // once, although the IPv4 and IPv6 restores write different kernel tables: iptables-nft
  // 1.8.9 does not survive another commit between its cache fill and its own commit (measured:
  // the refreshed transaction fails with ENOENT on a reinstall), and legacy mode shares one
  // lock.
  for (auto& j : jobs) {
    j.result = runner_.restore(*fams_[idx(j.family)].tools, j.input, /*noflush=*/true);
    if (!*j.result) break;
  }
}

Result<VerifyReport> IptablesBackend::verify() {
  VerifyReport report;
  rules::Model model = rules::build(cfg_, ruleFacts());
  for (Family f : kFamilies) {
    if (!fams_[idx(f)].tools) continue;
    const Tools& tools = *fams_[idx(f)].tools;
    KT_ASSIGN_OR_RETURN(std::string text, runner_.save(tools));
    SavedRuleset saved = SavedRuleset::parse(text);
    bool expectAny = f == Family::kV4 || ipv6_;
    std::vector<rules::IptablesTable> expected;
    if (expectAny) expected = rules::renderIptablesTables(model, f, options(false));
    auto matching = renderedLines(model, f);
    for (const char* name : kOurTables) {
      const rules::IptablesTable* want = nullptr;
      for (const auto& t : expected)
        if (rules::tableName(t.table) == std::string_view(name)) want = &t;
      auto diff = tableDifferences(std::string(familyName(f)) + " " + name, want, saved.find(name),
                                   matching);
      report.differences.insert(report.differences.end(), diff.begin(), diff.end());
    }
  }
  return report;
}

Status IptablesBackend::uninstall() {
  rules::Model model = rules::build(cfg_, ruleFacts());
  for (Family f : kFamilies) {
    if (!fams_[idx(f)].tools) continue;
    const Tools& tools = *fams_[idx(f)].tools;
    KT_ASSIGN_OR_RETURN(auto state, readState(runner_, tools));
    if (!state) continue;
    UninstallInput in = uninstallInput(*state, renderedLines(model, f));
    if (in.text.empty()) {
      spdlog::debug("no {} rules of ours", label(mode_, f));
      continue;
    }
    spdlog::debug("{} input:\n{}", tools.restore, in.text);
    if (Status st = runner_.restore(tools, in.text, /*noflush=*/true); !st) {
      return std::move(st).takeError().context("removing " + std::string(familyName(f)) +
                                               " rules with " + label(mode_, f));
    }
    spdlog::info("removed {} rules and {} chains of ours with {}", in.rules, in.chains,
                 label(mode_, f));
  }
  return okStatus();
}

Result<std::vector<std::string>> IptablesBackend::installedState() {
  std::vector<std::string> out;
  rules::Model model = rules::build(cfg_, ruleFacts());
  for (Family f : kFamilies) {
    if (!fams_[idx(f)].tools) continue;
    KT_ASSIGN_OR_RETURN(auto state, readState(runner_, *fams_[idx(f)].tools));
    if (!state) continue;
    // Exactly what uninstall() would remove.
    UninstallInput in = uninstallInput(*state, renderedLines(model, f));
    if (in.text.empty()) continue;
    out.push_back(std::string(familyName(f)) + ": " + std::to_string(in.rules) + " rules and " +
                  std::to_string(in.chains) + " chains of ours");
  }
  return out;
}

// Which mode, and the IPv4 state of the chosen mode (read while choosing when needed).
struct ModeDecision {
  Mode mode;
  Tools v4;
  std::optional<SavedRuleset> before;
};

Result<ModeDecision> decideMode(Mode forced, ToolRunner& runner) {
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

// Why IPv6 rules cannot go in with these tools, or nullopt when they can (before probing the
// nat table). Whether the namespace has IPv6 at all is a pod-network fact, decided before.
std::optional<std::string> ipv6Obstacle(Mode mode, const std::optional<Tools>& tools6,
                                        const Result<Tools>& found) {
  if (!tools6) return "no " + label(mode, Family::kV6) + " tools: " + found.error().message();
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      const config::Facts& facts, Mode mode) {
  ToolRunner runner(runSettings(cfg, run));
  std::array<IptablesBackend::FamilyState, 2> fams;
  if (run.dryRun) {
    // Dry-run prints what the configuration asks for, identically on every machine: no probes.
    return std::unique_ptr<Backend>(new IptablesBackend(cfg, run.verbose, facts, mode,
                                                        std::move(fams), std::move(runner),
                                                        /*dockerOutputChain=*/false, facts.ipv6));
  }
  KT_ASSIGN_OR_RETURN(ModeDecision d, decideMode(mode, runner));
  // Before install() changes anything (it adds ::6 to loopback first).
  KT_TRY(requireToolPrivileges(d.mode));
  fams[0].tools = d.v4;
  fams[0].before = std::move(d.before);
  // Docker's embedded DNS: the sidecar's DNS must go through DOCKER_OUTPUT (IPv4 nat).
  bool dockerOutputChain = false;
  if (fams[0].before) {
    const SavedTable* nat = fams[0].before->find("nat");
    dockerOutputChain = nat && nat->hasChain(kDockerOutputChain);
  }
  if (dockerOutputChain && cfg.dns.enabled && cfg.dns.captureAll && cfg.dns.conntrackZoneSplit) {
    spdlog::warn(
        "Docker's DOCKER_OUTPUT chain exists: the DNS conntrack zone split is disabled for IPv4");
  }

  auto found6 = findTools(Family::kV6, d.mode, runner.execCounter());
  if (found6) fams[1].tools = *found6;
  bool ipv6 = facts.ipv6;
  if (ipv6) {
    auto why = ipv6Obstacle(d.mode, fams[1].tools, found6);
    if (!why) {
      // Read the state before probing: the legacy probe instantiates the ip6 nat table, and a
      // table that exists costs a *-save run. The nft probe is expensive; install() runs it
      // only if the IPv6 restore fails.
      KT_ASSIGN_OR_RETURN(fams[1].before, readState(runner, *fams[1].tools));
      if (d.mode == Mode::kLegacy) {
        if (auto nat = probeIpv6Nat(d.mode); !nat) why = nat.error().message();
      }
    }
    if (why) {
      if (cfg.ipFamilyModeExplicit) {
        return Error(ErrorKind::kUnsupported,
                     "IPv6 rules were requested (dualstack) but cannot be installed: " + *why)
            .hint("use --ip-family-mode ipv4, or give the namespace working IPv6");
      }
      spdlog::warn("IPv6 rules skipped: {}", *why);
      ipv6 = false;
    }
  }
  return std::unique_ptr<Backend>(new IptablesBackend(cfg, run.verbose, facts, d.mode,
                                                      std::move(fams), std::move(runner),
                                                      dockerOutputChain, ipv6));
}

std::vector<std::unique_ptr<Backend>> forUninstall(const config::Config& cfg,
                                                   const config::RunOptions& run) {
  std::vector<std::unique_ptr<Backend>> out;
  config::Facts facts;
  if (cfg.kumaDpUser.uid) facts.kumaDpUid = *cfg.kumaDpUser.uid;
  for (Mode m : {Mode::kLegacy, Mode::kNft}) {
    ToolRunner runner(runSettings(cfg, run));
    std::array<IptablesBackend::FamilyState, 2> fams;
    for (Family f : kFamilies) {
      if (auto t = findTools(f, m, runner.execCounter())) fams[idx(f)].tools = *t;
    }
    if (!fams[0].tools && !fams[1].tools) continue;
    out.push_back(std::unique_ptr<Backend>(
        new IptablesBackend(cfg, run.verbose, facts, m, std::move(fams), std::move(runner),
                            /*dockerOutputChain=*/false, facts.ipv6)));
  }
  return out;
}

}  // namespace kt::backend::iptables
