// One run against one network namespace, the same for every command: the CLI's install, verify
// and uninstall, and the CNI plugin's ADD, CHECK and DEL (with the node installer's repair,
// which runs ADD's steps) all go through it.
//
// Stages, in this order, all in open():
//   configuration  Config and RunOptions as the config stage returned them; read-only here
//   facts          config::gatherFacts (sidecar uid, nameservers); not for uninstall
//   privileges     CAP_NET_ADMIN, unless dry-run
//   namespace      enter run.netnsPath (empty = stay); left when the Pipeline is destroyed
//   lock           the namespace's lock (sys/netns_lock.h), unless dry-run; held likewise
//   pod network    backend::podNetworkFacts: loopback, IPv6 usable (not for uninstall; dry-run
//                  probes nothing)
// Then the backends, created by the factory in the entered namespace (their probes look at the
// target namespace, under the lock). What to do with them (render, install, verify,
// uninstall) is the command's.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "base/result.h"
#include "config/config.h"
#include "config/facts.h"
#include "sys/netns.h"
#include "sys/netns_lock.h"

namespace kt::app {

// What the run does to the namespace: decides which stages run and names the privilege.
enum class Purpose { kInstall, kVerify, kUninstall };

// Where and how long the namespace lock is waited for.
struct LockSettings {
  std::string directory;  // "" = the first usable default directory (sys::lockDirectories)
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

class Pipeline {
 public:
  // Runs the stages above. Errors: gatherFacts' kConfig, kPermission without CAP_NET_ADMIN,
  // NetnsGuard::enter's and NetnsLock::acquire's errors (kTransient when another run holds the
  // lock past the timeout), podNetworkFacts' kUnsupported (dualstack asked for explicitly in a
  // namespace without IPv6). Nothing is changed when it fails.
  static Result<Pipeline> open(config::Config cfg, config::RunOptions run, Purpose purpose,
                               const LockSettings& lock = {});

  Pipeline(Pipeline&&) noexcept = default;
  Pipeline& operator=(Pipeline&&) noexcept = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline() = default;

  const config::Config& config() const { return cfg_; }
  const config::RunOptions& run() const { return run_; }
  // Empty defaults for kUninstall (never gathered there). Const from here on: backends read it.
  const config::Facts& facts() const { return facts_; }

  // The backend the configuration selects (backend::make), with its probes.
  Result<std::unique_ptr<backend::Backend>> backend() const;

  // `verify` without an explicit backend compares with the backend installed here, not the
  // default one: when one backend (or several: the first, with a warning) has state of ours
  // here, the configuration becomes `reload(kind)`, a fresh load of the same inputs as if
  // `--backend kind` had been given. Logs which backend it compares with.
  Status preferInstalledBackend(
      const std::function<Result<config::Config>(config::Backend)>& reload);

  // For uninstall: the backends with state of ours here, split by the factory into those the
  // configuration asks to remove and the others (backend::presentForUninstall).
  Result<backend::UninstallSelection> presentForUninstall() const;

  // Every backend that may have state here, whatever it has (backend::makeAllForUninstall).
  std::vector<std::unique_ptr<backend::Backend>> allForUninstall() const;

 private:
  Pipeline(config::Config cfg, config::RunOptions run)
      : cfg_(std::move(cfg)), run_(std::move(run)) {}

  config::Config cfg_;
  config::RunOptions run_;
  config::Facts facts_;
  // Declared before the lock: the lock is released first, then the namespace is left.
  std::unique_ptr<sys::NetnsGuard> netns_;
  std::optional<sys::NetnsLock> lock_;
};

}  // namespace kt::app
