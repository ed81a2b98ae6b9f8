// The eBPF backend: cgroup programs shared per node, one sk_lookup program per pod, and the
// configuration per pod in pinned maps.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace kt::backend::ebpf {

// Whether IPv6 is intercepted is the pod-network fact facts.ipv6 (backend/pod_network.h); the
// pod's cookie, addresses and --ebpf-tc-attach-iface are read here, except with run.dryRun:
// a dry-run probes nothing and plans from the configuration alone (docs/ebpf.md).
Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      const config::Facts& facts);

// For uninstall: null when nothing of ours is pinned under cfg.ebpf.bpffsPath.
// With run.uninstallAll, the uninstall form removes every layout's node-wide state too.
std::unique_ptr<Backend> forUninstall(const config::Config& cfg, const config::RunOptions& run);

}  // namespace kt::backend::ebpf
