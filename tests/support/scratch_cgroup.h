// A scratch cgroup v2 directory for tests whose backend attaches to a cgroup (eBPF): the test's
// processes are placed in it and its path is passed to the backend.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"

namespace kt::testing {

// The mount point of the cgroup v2 hierarchy, from /proc/mounts (first "cgroup2" entry).
// kUnsupported when there is none.
Result<std::string> findCgroup2Mount();

// Kills every process in the cgroup `dir` (cgroup.kill), waits until it is empty (cgroup.events
// "populated 0", at most a few seconds) and removes the directory. Only for directories we created.
Status removeCgroup(const std::string& dir);

class ScratchCgroup {
 public:
  // Creates <cgroup2 mount>/<name>; the caller keeps the name unique (e.g. with the pid).
  static Result<std::unique_ptr<ScratchCgroup>> make(const std::string& name);
  ~ScratchCgroup();  // removeCgroup(path()); failures are logged
  ScratchCgroup(const ScratchCgroup&) = delete;
  ScratchCgroup& operator=(const ScratchCgroup&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit ScratchCgroup(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace kt::testing
