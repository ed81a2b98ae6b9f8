// Unique names for everything a test creates (namespaces, cgroups, bpffs mounts), and the sweep
// that removes what a crashed earlier run left behind.
//
// Names are "<prefix>-<pid>-<n>-<what>": the pid keeps parallel test processes (and other
// runs on the machine) apart, n keeps the objects of one process apart. sweepLeftovers() removes
// only objects with our prefix whose pid is no longer alive, so it never touches a live run.
#pragma once

#include <string>
#include <string_view>

namespace kt::e2e {

inline constexpr std::string_view kNamePrefix = "kte2e";

// "kte2e-<pid>-<n>-<what>"; at most 40 bytes for a short `what`.
std::string uniqueName(std::string_view what);

// Deletes network namespaces (/run/netns), cgroup directories (cgroup2 root) and bpffs mounts
// (/tmp) named by dead kte2e processes. Best effort: failures are logged, never fatal.
void sweepLeftovers();

}  // namespace kt::e2e
