// Entering a network namespace in a forked child before execve (header only, no library): the
// sys::ExecRequest::childSetup the test helpers and tools use to run a program in a namespace
// without `ip netns exec`, which remounts /sys and hides the cgroup v2 and bpffs mounts.
#pragma once

#include <sched.h>

namespace kt::testing {

// `arg` points at an int: a descriptor of the namespace. Async-signal-safe (one system call).
inline bool enterNetnsInChild(void* arg) {
  return ::setns(*static_cast<int*>(arg), CLONE_NEWNET) == 0;
}

}  // namespace kt::testing
