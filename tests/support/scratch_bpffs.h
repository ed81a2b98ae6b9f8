// A scratch bpffs mount for backends that pin BPF objects (eBPF): a fresh, empty instance per
// test, so pins of one test never meet another's.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

namespace kt::testing {

class ScratchBpffs {
 public:
  // Runs on destruction before the unmount, with path() (e.g. to detach pinned links first).
  using Cleanup = std::function<void(const std::string& path)>;

  // Mounts a new bpf filesystem on /tmp/<name> (created; nosuid, nodev, noexec, and read-only
  // when `readOnly`). The name must not contain a dot: libbpf rewrites dots in pin paths.
  static Result<std::unique_ptr<ScratchBpffs>> make(const std::string& name, bool readOnly = false,
                                                    Cleanup beforeUnmount = {});
  // beforeUnmount, then lazy unmount (drops every pin in it) and rmdir; failures are logged.
  ~ScratchBpffs();
  ScratchBpffs(const ScratchBpffs&) = delete;
  ScratchBpffs& operator=(const ScratchBpffs&) = delete;

  const std::string& path() const { return path_; }

 private:
  ScratchBpffs(std::string path, Cleanup beforeUnmount)
      : path_(std::move(path)), beforeUnmount_(std::move(beforeUnmount)) {}
  std::string path_;
  Cleanup beforeUnmount_;
};

}  // namespace kt::testing
