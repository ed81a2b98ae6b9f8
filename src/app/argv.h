// Program-name dispatch: kuma-tproxy, its kumactl compatibility name, and kuma-cni.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kt::app {

// The file name of argv[0] ("/usr/bin/kumactl" -> "kumactl").
std::string programName(std::string_view argv0);

// Rewrites a kumactl-style command line to ours: `kumactl install transparent-proxy ARGS` ->
// `kumactl install ARGS`, the same for uninstall; `kumactl version` and `kumactl` with only
// --help or nothing pass through. Any other kumactl command is a kConfig error. Command lines of
// other program names are returned unchanged.
Result<std::vector<std::string>> normalizeArgs(const std::vector<std::string>& args);

}  // namespace kt::app
