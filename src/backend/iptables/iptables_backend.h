// The iptables backend: iptables-restore input applied with one *-restore --noflush per family.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/iptables/mode.h"

namespace kt::backend::iptables {

// Finds the binaries, picks legacy or nf_tables (mode kAuto: Kuma's heuristic, logged), checks
// IPv6 usability and refines facts.
Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      config::Facts facts, Mode mode);

// One backend per mode whose binaries exist, for uninstall.
std::vector<std::unique_ptr<Backend>> forUninstall(const config::Config& cfg,
                                                   const config::RunOptions& run);

}  // namespace kt::backend::iptables
