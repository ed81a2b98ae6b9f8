// A scratch bpffs mount for backends that pin BPF objects (eBPF): a fresh, empty instance per
// test, so pins of one test never meet another's.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"

namespace kt::e2e {

class ScratchBpffs {
 public:
  // Mounts a new bpf filesystem on /tmp/<name> (created). The name must not contain a dot:
  // libbpf rewrites dots in pin paths.
  static Result<std::unique_ptr<ScratchBpffs>> make(const std::string& name);
  ~ScratchBpffs();  // lazy unmount (drops every pin in it) and rmdir; failures are logged
  ScratchBpffs(const ScratchBpffs&) = delete;
  ScratchBpffs& operator=(const ScratchBpffs&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit ScratchBpffs(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace kt::e2e
