#include "app/uninstall.h"

#include <spdlog/spdlog.h>

#include "app/namespace_lock.h"
#include "app/output.h"
#include "app/privileges.h"
#include "backend/backend.h"
#include "base/strings.h"
#include "sys/netns.h"

namespace kt::app {

Status runUninstall(const config::LoadRequest& request, bool ebpfAll) {
  KT_ASSIGN_OR_RETURN(auto loaded, config::load(request));
  for (const auto& w : loaded.warnings)
    spdlog::warn("{}", w);
  config::Config cfg = loaded.config;
  cfg.ebpf.uninstallAll = ebpfAll;
  if (!cfg.dryRun) KT_TRY(requireNetAdmin("removing the rules"));
  KT_ASSIGN_OR_RETURN(auto netns, sys::NetnsGuard::enter(cfg.netnsPath));
  // Held until return: an install running meanwhile would otherwise re-add what we remove.
  std::optional<sys::NetnsLock> lock;
  if (!cfg.dryRun) {
    KT_ASSIGN_OR_RETURN(lock, lockNamespace());
  }

  // --backend iptables matches iptables-legacy and iptables-nft; the others match exactly.
  std::string wanted =
      cfg.backend == config::Backend::kAuto ? "" : config::backendName(cfg.backend);
  std::vector<std::unique_ptr<backend::Backend>> chosen;
  for (auto& b : backend::makeAllForUninstall(cfg)) {
    if (wanted.empty() || startsWith(b->name(), wanted)) chosen.push_back(std::move(b));
  }
  if (chosen.empty()) {
    spdlog::info("nothing to uninstall: no {}backend has tools or state here",
                 wanted.empty() ? "" : wanted + " ");
    return okStatus();
  }
  if (cfg.dryRun) {
    std::string out;
    for (const auto& b : chosen)
      out += "# dry-run: would uninstall the " + b->name() + " backend\n";
    return writeStdout(out);
  }
  std::vector<std::string> failures;
  for (const auto& b : chosen) {
    if (auto s = b->uninstall(); !s) {
      spdlog::error("uninstalling the {} backend: {}", b->name(), s.error().message());
      failures.push_back(b->name() + ": " + s.error().message());
      continue;
    }
    spdlog::info("uninstalled the {} backend", b->name());
  }
  if (!failures.empty()) {
    return Error::runtime("uninstall failed for " + std::to_string(failures.size()) +
                          " backend(s): " + join(failures, "; "));
  }
  spdlog::info("transparent proxy cleanup completed successfully");
  return okStatus();
}

}  // namespace kt::app
