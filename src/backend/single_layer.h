// One layer of interception per network namespace.
//
// Two backends' state in one namespace stack up: with iptables-nft rules and the nftables table
// both present, a port the nftables configuration excludes is still redirected by the iptables
// rules, and verify of either one alone would say "matches". The factory therefore wraps the
// backend it creates: install() leaves only that backend's interception in the namespace, and
// verify() reports any other backend's state of ours as a difference.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace kt::backend {

// Wraps `chosen` (created for `cfg`). install(): installs `chosen` (atomic, keeping the previous
// state on failure), then removes the state every other backend has here and logs what it
// removed; if a removal fails, the new install is undone (chosen->uninstall()) so that the
// namespace keeps its earlier layer, and the error names what is left. verify(): chosen's
// differences plus "+ unexpected: <backend> state ...: <line>" for each other backend's state.
// render(), uninstall() and installedState() are chosen's.
std::unique_ptr<Backend> singleLayer(const config::Config& cfg, const config::RunOptions& run,
                                     std::unique_ptr<Backend> chosen);

}  // namespace kt::backend
