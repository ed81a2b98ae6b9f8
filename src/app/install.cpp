#include "app/install.h"

#include <spdlog/spdlog.h>

#include "app/host_namespace.h"
#include "app/output.h"
#include "app/pipeline.h"
#include "base/strings.h"

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

// The configuration as if `--backend kind` had been given, so that what that backend needs
// (the eBPF instance IP from its variable) is read and checked as for an explicit choice.
// Input read from stdin cannot be read twice: then only the backend is set.
Result<config::Config> withBackend(const config::LoadRequest& request, const config::Config& cfg,
                                   config::Backend kind) {
  if (request.configFile == "-" || request.podManifest == "-") {
    config::Config named = cfg;
    named.backend = kind;
    return named;
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

  const bool explicitBackend =
      loaded.config.backend != config::Backend::kAuto || loaded.config.ebpf.enabled;
  KT_ASSIGN_OR_RETURN(auto pipeline, Pipeline::open(std::move(loaded.config), loaded.run,
                                                    verify ? Purpose::kVerify : Purpose::kInstall));
  if (verify && !explicitBackend) {
    KT_TRY(pipeline.preferInstalledBackend(
        [&](config::Backend kind) { return withBackend(request, pipeline.config(), kind); }));
  }
  KT_ASSIGN_OR_RETURN(auto backend, pipeline.backend());

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
