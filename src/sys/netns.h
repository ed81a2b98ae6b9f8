// Entering network namespaces safely.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace kt::sys {

// Enters the network namespace at `path` (e.g. /var/run/netns/x or /proc/PID/ns/net) for the
// calling thread and returns to the original one when destroyed. Child processes forked from
// this thread inherit the entered namespace. Not copyable or movable: keep it on the stack.
class NetnsGuard {
 public:
  // An empty path is a no-op guard (stay in the current namespace).
  static Result<std::unique_ptr<NetnsGuard>> enter(const std::string& path);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  explicit NetnsGuard(Fd original) : original_(std::move(original)) {}
  Fd original_;
};

// The inode number of the current network namespace (what `ip netns identify` compares).
Result<uint64_t> currentNetnsInode();

}  // namespace kt::sys
