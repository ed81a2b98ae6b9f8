// The native nftables backend: table inet kuma_mesh sent as one netlink batch (libnftnl + libmnl).
#pragma once

#include <memory>

#include "backend/backend.h"

namespace kt::backend::nftables {

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, config::Facts facts);

// For uninstall: null when nf_tables is unavailable in this kernel.
std::unique_ptr<Backend> forUninstall(const config::Config& cfg);

}  // namespace kt::backend::nftables
