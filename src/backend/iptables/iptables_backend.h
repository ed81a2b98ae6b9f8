// The iptables backend: iptables-restore input applied with one *-restore --noflush per family.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/iptables/mode.h"

namespace kt::backend::iptables {

// Finds the binaries, picks legacy or nf_tables (mode kAuto: Kuma's heuristic, logged), checks
// whether the IPv6 tools and nat table are there and whether Docker's DOCKER_OUTPUT chain is.
// `facts` are the run's (pod network included) and are not changed: the backend keeps what it
// finds apart and leaves IPv6 out on its own. With run.dryRun nothing is probed.
Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      const config::Facts& facts, Mode mode);

// One backend per mode whose binaries exist, for uninstall.
std::vector<std::unique_ptr<Backend>> forUninstall(const config::Config& cfg,
                                                   const config::RunOptions& run);

}  // namespace kt::backend::iptables
