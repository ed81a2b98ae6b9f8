// The native nftables backend: one `table inet kuma_mesh` (both families), sent as one netlink
// batch with libnftnl + libmnl. No `nft` binary and no xtables lock at run time.
//
// render() prints the same plan install() sends (lowerToNft of the rule model), as an
// `nft -f` script that replaces the table atomically; verify() reads the table back and diffs
// it against that plan; uninstall() deletes the table.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace kt::backend::nftables {

// No probes of its own: the loopback interface and whether IPv6 rules go in are the
// pod-network facts (backend/pod_network.h).
Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::Facts& facts);

// For uninstall: null when nf_tables is unavailable in this kernel.
std::unique_ptr<Backend> forUninstall(const config::Config& cfg);

}  // namespace kt::backend::nftables
