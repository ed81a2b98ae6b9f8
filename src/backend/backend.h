// The one interface every backend implements, and the factory that picks one.
//
// Only the factory (factory.cpp) switches on the backend kind; everything else talks to this
// interface. All calls run in the caller's current network namespace (main/CNI enter the target
// namespace with sys::NetnsGuard before calling).
//
// One layer of interception per namespace: the backend make() returns removes every other
// backend's state of ours when it installs, and its verify() reports such state as a
// difference (single_layer.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "config/facts.h"

namespace kt::backend {

// What verify() found: empty `differences` means the kernel matches the configuration.
struct VerifyReport {
  std::vector<std::string> differences;  // readable lines: "- missing: ...", "+ unexpected: ..."
  bool ok() const { return differences.empty(); }
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "iptables-nft", "iptables-legacy", "nftables", "ebpf".
  virtual std::string name() const = 0;

  // What install() would apply, as text for stdout (dry-run). Probes that need no privileges
  // may run; nothing is changed.
  virtual Result<std::string> render() = 0;

  // Applies the configuration atomically: on error nothing of the new state is left and the
  // previous state (if any) is kept. Re-running replaces our previous state, never duplicates.
  virtual Status install() = 0;

  // Reads the installed state back and compares it with render().
  virtual Result<VerifyReport> verify() = 0;

  // Removes everything this backend owns in the current namespace; success if nothing is there.
  virtual Status uninstall() = 0;

  // What of this backend's state of ours is in the current namespace, read without changing
  // anything: one readable line per family or object, what uninstall() would remove (e.g.
  // "IPv4 nat: 9 rules and 6 chains"). Empty = nothing. Works on the uninstall form of the
  // backend (no install-only settings).
  virtual Result<std::vector<std::string>> installedState() = 0;
};

// Creates the backend the configuration selects (cfg.effectiveBackend()), running its own
// probes (binary discovery, legacy/nft choice; the iptables backend may still leave IPv6 out
// when the ip6tables tools or their nat table are missing). `facts` are the run's facts with
// the pod-network facts already in (backend/pod_network.h). An explicit choice never silently
// falls back to another backend.
Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      const config::Facts& facts);

// Every backend that may have state in the current namespace, for `uninstall` (which removes
// what any of them installed). Backends whose tools are missing are left out. Needs none of the
// install-only settings (no eBPF instance IP).
std::vector<std::unique_ptr<Backend>> makeAllForUninstall(const config::Config& cfg,
                                                          const config::RunOptions& run);

// A backend of makeAllForUninstall() that has state of ours here, with that state.
struct Present {
  std::unique_ptr<Backend> backend;
  config::Backend kind;            // iptables-legacy / iptables-nft, never auto or iptables
  std::vector<std::string> state;  // installedState(), never empty
};

// The backends with state of ours in the current namespace, in makeAllForUninstall() order.
Result<std::vector<Present>> presentBackends(const config::Config& cfg,
                                             const config::RunOptions& run);

// What `uninstall` removes, of the backends with state of ours here (presentBackends()).
struct UninstallSelection {
  // The backends the configuration asks to remove: cfg.backend; else, with cfg.ebpf.enabled
  // (Kuma's node cleanup form), the eBPF backend; else (auto) every backend. iptables names
  // both iptables modes.
  config::Backend requested = config::Backend::kAuto;
  std::vector<Present> chosen;  // present and requested
  std::vector<Present> others;  // present but not requested
};
Result<UninstallSelection> presentForUninstall(const config::Config& cfg,
                                               const config::RunOptions& run);

}  // namespace kt::backend
