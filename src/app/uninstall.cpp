#include "app/uninstall.h"

#include <spdlog/spdlog.h>

#include "app/output.h"
#include "app/pipeline.h"
#include "base/strings.h"
#include "sys/netlink_addr.h"

namespace kt::app {

namespace {

// ::6/128 on loopback is shared by every backend: it goes when no backend of ours is left here,
// and only when install added it (sys::kOurAddressProto). Dry-run appends what it would do to
// `out` instead.
Status removePassthroughAddress(bool dryRun, std::string& out) {
  auto lo = sys::loopbackInterface();
  if (!lo) return okStatus();  // no loopback: nothing was added to it
  const Cidr six = sys::passthroughV6();
  KT_ASSIGN_OR_RETURN(auto owner, sys::addressOwner(*lo, six));
  if (owner == sys::AddressOwner::kAbsent) return okStatus();
  if (owner == sys::AddressOwner::kOther) {
    spdlog::info(
        "{} on {} was not added by kuma-tproxy (or this kernel cannot record who adds an "
        "address): left in place",
        six.str(), *lo);
    return okStatus();
  }
  if (dryRun) {
    out += *lo + ": " + six.str() + " (added by install)\n";
    return okStatus();
  }
  KT_TRY(sys::removeAddress(*lo, six));
  spdlog::info("removed {} from {} (added by install)", six.str(), *lo);
  return okStatus();
}

}  // namespace

Status runUninstall(const config::LoadRequest& request, bool ebpfAll) {
  KT_ASSIGN_OR_RETURN(auto loaded, config::load(request));
  for (const auto& w : loaded.warnings)
    spdlog::warn("{}", w);
  config::RunOptions run = loaded.run;
  run.uninstallAll = ebpfAll;
  if (loaded.config.ebpf.enabled && !ebpfAll) {
    // Kuma's per-node cleanup Job runs `uninstall transparent-proxy --ebpf-enabled
    // --ebpf-bpffs-path P` to remove the eBPF objects from the node: the meaning of --ebpf-all.
    spdlog::info("--ebpf-enabled: removing every eBPF program, map and pin of ours under {}",
                 loaded.config.ebpf.bpffsPath);
    run.uninstallAll = true;
  }
  // Holds the lock until return: an install running meanwhile would otherwise re-add what we
  // remove.
  KT_ASSIGN_OR_RETURN(auto pipeline,
                      Pipeline::open(std::move(loaded.config), run, Purpose::kUninstall));
  KT_ASSIGN_OR_RETURN(auto selection, pipeline.presentForUninstall());
  auto& chosen = selection.chosen;
  std::vector<std::string> others;
  for (const auto& p : selection.others)
    others.push_back(p.backend->name());
  if (chosen.empty() && !others.empty()) {
    // Not a success for the backend asked for, and not an error either: nothing of it is here.
    const std::string asked = config::backendName(selection.requested);
    spdlog::warn(
        "nothing of {} installed; {} {} installed: run `uninstall --backend {}` or `uninstall`",
        asked, join(others, " and "), others.size() == 1 ? "is" : "are", others.front());
    return okStatus();
  }

  std::string dryRunText;
  if (run.dryRun) {
    for (const auto& p : chosen)
      for (const auto& line : p.state)
        dryRunText += p.backend->name() + " " + line + "\n";
  }
  std::vector<std::string> failures;
  if (!run.dryRun) {
    for (const auto& p : chosen) {
      if (run.verbose) {
        for (const auto& line : p.state)
          spdlog::info("{}: removing {}", p.backend->name(), line);
      }
      if (auto s = p.backend->uninstall(); !s) {
        spdlog::error("uninstalling the {} backend: {}", p.backend->name(), s.error().message());
        failures.push_back(p.backend->name() + ": " + s.error().message());
        continue;
      }
      spdlog::info("uninstalled the {} backend ({})", p.backend->name(), join(p.state, "; "));
    }
  }
  if (failures.empty() && others.empty()) {
    if (auto s = removePassthroughAddress(run.dryRun, dryRunText); !s) {
      failures.push_back(s.error().message());
    }
  }
  if (run.dryRun) {
    if (dryRunText.empty()) {
      spdlog::info("dry-run: nothing of ours to uninstall here");
      return okStatus();
    }
    return writeStdout("# dry-run: uninstall would remove:\n" + dryRunText);
  }
  if (!failures.empty()) {
    return Error::runtime("uninstall failed for " + std::to_string(failures.size()) +
                          " part(s): " + join(failures, "; "));
  }
  if (chosen.empty()) {
    spdlog::info("nothing to uninstall: no backend has state of ours here");
    return okStatus();
  }
  spdlog::info("transparent proxy cleanup completed successfully");
  return okStatus();
}

}  // namespace kt::app
