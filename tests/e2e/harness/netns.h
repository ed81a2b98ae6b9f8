// A named network namespace that lives as long as its owner object (ip netns add / delete), and
// running programs inside it without `ip netns exec` (which remounts /sys and hides the cgroup
// v2 and bpffs mounts): the child enters with setns before execve.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sys/exec.h"

namespace kt::e2e {

class ScratchNetns {
 public:
  // `ip netns add NAME`, then lo up.
  static Result<std::unique_ptr<ScratchNetns>> make(const std::string& name);
  ~ScratchNetns();  // `ip netns delete NAME`; failures are logged
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& name() const { return name_; }
  // The namespace file, for setns and for `kuma-tproxy --netns`.
  std::string path() const { return "/run/netns/" + name_; }

  // Runs `program` (resolved like sys::findExecutable) inside the namespace and waits for it.
  // A non-zero exit is a normal ExecResult.
  Result<sys::ExecResult> run(const std::string& program, const std::vector<std::string>& args,
                              const std::string& input = {}) const;
  // Like run(), but a non-zero exit is an Error naming the command and its stderr.
  Result<std::string> check(const std::string& program, const std::vector<std::string>& args,
                            const std::string& input = {}) const;
  // Runs `ip -batch -` in the namespace with one ip command per line of `commands`.
  Status ipBatch(const std::string& commands) const;

 private:
  explicit ScratchNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace kt::e2e
