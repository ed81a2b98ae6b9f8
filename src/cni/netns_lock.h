// Serializes plugin invocations for one pod network namespace (parallel ADD/DEL/CHECK of the
// same pod, e.g. a runtime retrying while the first call still runs).
//
// The lock is an flock() on <lockDir>/netns-<dev>-<inode>.lock, the device and inode of the
// namespace file (the nsfs inode identifies the namespace, whatever path it is mounted at).
// Holders may unlink the file (DEL does, so lock files do not pile up); acquire() therefore
// re-checks after locking that the path still names the file it locked and retries otherwise.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace kt::cni {

class NetnsLock {
 public:
  // Blocks until the lock is held or `timeout` passes (kTransient error naming the file).
  static Result<NetnsLock> acquire(const std::string& lockDir, const std::string& netnsPath,
                                   std::chrono::milliseconds timeout);
  NetnsLock(NetnsLock&&) noexcept = default;
  NetnsLock& operator=(NetnsLock&&) noexcept = default;
  // Unlinks the lock file while still holding the lock (then releases it).
  void removeFile();
  const std::string& path() const { return path_; }

 private:
  NetnsLock(sys::Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  sys::Fd fd_;
  std::string path_;
};

}  // namespace kt::cni
