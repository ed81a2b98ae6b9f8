#include "app/pipeline.h"

#include <spdlog/spdlog.h>

#include "app/privileges.h"
#include "backend/pod_network.h"
#include "base/strings.h"

namespace kt::app {

namespace {

const char* privilegedAction(Purpose purpose) {
  switch (purpose) {
    case Purpose::kInstall:
      return "installing the rules";
    case Purpose::kVerify:
      return "reading the installed rules";
    case Purpose::kUninstall:
      return "removing the rules";
  }
  return "changing the network namespace";
}

}  // namespace

Result<Pipeline> Pipeline::open(config::Config cfg, config::RunOptions run, Purpose purpose,
                                const LockSettings& lock) {
  Pipeline p(std::move(cfg), std::move(run));
  if (purpose != Purpose::kUninstall) {
    KT_ASSIGN_OR_RETURN(p.facts_, config::gatherFacts(p.cfg_, p.run_));
  }
  if (!p.run_.dryRun) KT_TRY(requireNetAdmin(privilegedAction(purpose)));
  // Entered before any backend is created: their probes (IPv6 usability, existing rules) must
  // look at the target namespace.
  KT_ASSIGN_OR_RETURN(p.netns_, sys::NetnsGuard::enter(p.run_.netnsPath));
  // Held across the backends' probes and the apply: another run in this namespace must not
  // change the state between our read and our write. The current namespace is the target one
  // now, so it is what gets locked.
  if (!p.run_.dryRun) {
    sys::NetnsLockOptions opts;
    opts.directory = lock.directory;
    opts.timeout = lock.timeout;
    KT_ASSIGN_OR_RETURN(auto held, sys::NetnsLock::acquire(opts));
    p.lock_.emplace(std::move(held));
  }
  if (purpose != Purpose::kUninstall) {
    KT_ASSIGN_OR_RETURN(p.facts_, backend::podNetworkFacts(p.cfg_, p.run_, std::move(p.facts_)));
  }
  return p;
}

Result<std::unique_ptr<backend::Backend>> Pipeline::backend() const {
  return backend::make(cfg_, run_, facts_);
}

Status Pipeline::preferInstalledBackend(
    const std::function<Result<config::Config>(config::Backend)>& reload) {
  KT_ASSIGN_OR_RETURN(auto present, backend::presentBackends(cfg_, run_));
  if (present.empty()) {
    spdlog::info("verify: nothing of ours is installed here; comparing with the default backend");
    return okStatus();
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
  KT_ASSIGN_OR_RETURN(cfg_, reload(present.front().kind));
  return okStatus();
}

Result<backend::UninstallSelection> Pipeline::presentForUninstall() const {
  return backend::presentForUninstall(cfg_, run_);
}

std::vector<std::unique_ptr<backend::Backend>> Pipeline::allForUninstall() const {
  return backend::makeAllForUninstall(cfg_, run_);
}

}  // namespace kt::app
