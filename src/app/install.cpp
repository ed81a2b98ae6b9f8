#include "app/install.h"

#include <spdlog/spdlog.h>

#include "app/host_namespace.h"
#include "app/namespace_lock.h"
#include "app/output.h"
#include "app/privileges.h"
#include "backend/backend.h"
#include "base/strings.h"
#include "config/facts.h"
#include "sys/netns.h"

namespace kt::app {

namespace {

void logProvenance(const config::Loaded& loaded) {
  std::string text = config::describeProvenance(loaded);
  if (text.empty()) {
    spdlog::info("configuration: every setting has its default value");
    return;
  }
  spdlog::info("configuration values that are not defaults:");
  for (auto line : split(text, '\n'))
    if (!line.empty()) spdlog::info("  {}", line);
}

// verify without --backend (and without --ebpf-enabled): compare with the backend that is
// installed here, not with the default one. Says which one it compares with; nullopt when
// nothing of ours is installed (the default backend is compared then).
Result<std::optional<config::Backend>> installedBackend(const config::Config& cfg,
                                                        const config::RunOptions& run) {
  KT_ASSIGN_OR_RETURN(auto present, backend::presentBackends(cfg, run));
  if (present.empty()) {
    spdlog::info("verify: nothing of ours is installed here; comparing with the default backend");
    return std::optional<config::Backend>();
  }
  std::vector<std::string> names;
  for (const auto& p : present)
    names.push_back(p.backend->name());
  if (present.size() == 1) {
    spdlog::info("verify: no --backend given; comparing with the installed {} backend",
                 names.front());
  } else {
    spdlog::warn(
        "verify: no --backend given and several backends have state here ({}); comparing with "
        "{}, the others show as differences",
        join(names, ", "), names.front());
  }
  return std::optional<config::Backend>(present.front().kind);
}

// The configuration as if `--backend kind` had been given, so that what that backend needs
// (the eBPF instance IP from its variable) is read and checked as for an explicit choice.
// Input read from stdin cannot be read twice: then only the backend is set.
Result<config::Config> withBackend(const config::LoadRequest& request, config::Config cfg,
                                   config::Backend kind) {
  if (request.configFile == "-" || request.podManifest == "-") {
    cfg.backend = kind;
    return cfg;
  }
  config::LoadRequest named = request;
  named.flags.push_back({"--backend", config::backendName(kind)});
  KT_ASSIGN_OR_RETURN(auto again, config::load(named));
  return again.config;
}

}  // namespace

Result<InstallOutcome> runInstall(const config::LoadRequest& request, bool verify,
                                  bool allowHostNamespace) {
  KT_ASSIGN_OR_RETURN(auto loaded, config::load(request));
  for (const auto& w : loaded.warnings)
    spdlog::warn("{}", w);
  if (loaded.disabled) {
    auto it = loaded.provenance.find("transparentProxying");
    spdlog::info("transparent proxying is disabled{}: nothing to install",
                 it == loaded.provenance.end() ? "" : " by " + it->second.describe());
    return InstallOutcome::kDisabled;
  }
  config::Config cfg = loaded.config;
  const config::RunOptions& run = loaded.run;
  if (verify && run.dryRun) {
    return Error::config("--verify and --dry-run cannot be used together")
        .hint("--verify reads the installed rules; --dry-run prints the rules without a kernel");
  }
  if (run.verbose) logProvenance(loaded);
  // Only a real install changes the namespace; dry-run and verify read at most.
  if (!run.dryRun && !verify && run.netnsPath.empty() && !allowHostNamespace) {
    KT_TRY(refuseNodeNamespace());
  }

  KT_ASSIGN_OR_RETURN(auto facts, config::gatherFacts(cfg, run));
  if (!run.dryRun) {
    KT_TRY(requireNetAdmin(verify ? "reading the installed rules" : "installing the rules"));
  }
  // Entered before the backend is created: its probes (IPv6 usability, existing rules) must
  // look at the target namespace. Stays entered until this function returns.
  KT_ASSIGN_OR_RETURN(auto netns, sys::NetnsGuard::enter(run.netnsPath));
  // Held until return, across the backend's probes and the apply: another run in this
  // namespace must not change the state between our read and our write.
  std::optional<sys::NetnsLock> lock;
  if (!run.dryRun) {
    KT_ASSIGN_OR_RETURN(lock, lockNamespace());
  }
  if (verify && cfg.backend == config::Backend::kAuto && !cfg.ebpf.enabled) {
    KT_ASSIGN_OR_RETURN(auto kind, installedBackend(cfg, run));
    if (kind) {
      KT_ASSIGN_OR_RETURN(cfg, withBackend(request, cfg, *kind));
    }
  }
  KT_ASSIGN_OR_RETURN(auto backend, backend::make(cfg, run, std::move(facts)));

  if (run.dryRun) {
    KT_ASSIGN_OR_RETURN(auto text, backend->render());
    KT_TRY(writeStdout(text));
    return InstallOutcome::kDone;
  }
  if (verify) {
    KT_ASSIGN_OR_RETURN(auto report, backend->verify());
    if (report.ok()) {
      spdlog::info("the installed {} state matches the configuration", backend->name());
      return InstallOutcome::kDone;
    }
    std::string diff;
    for (const auto& d : report.differences)
      diff += d + "\n";
    KT_TRY(writeStdout(diff));
    spdlog::error("the installed {} state differs from the configuration ({} differences)",
                  backend->name(), report.differences.size());
    return InstallOutcome::kVerifyDiffers;
  }
  KT_TRY(backend->install().context("installing with the " + backend->name() + " backend"));
  spdlog::info(
      "transparent proxy set up with the {} backend; kuma-dp can now run with transparent "
      "proxying enabled",
      backend->name());
  return InstallOutcome::kDone;
}

}  // namespace kt::app
