// A throwaway named network namespace for kernel tests: unique name (prefix, pid, counter),
// deleted in the destructor even when the test fails. Commands run inside it with
// `ip netns exec`; in-process code enters it with enter().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sys/exec.h"
#include "sys/netns.h"

namespace kt::testing {

class ScratchNetns {
 public:
  static Result<std::unique_ptr<ScratchNetns>> create();
  ~ScratchNetns();
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }

  // Runs argv[0] (resolved on PATH) inside the namespace.
  Result<sys::ExecResult> run(const std::vector<std::string>& argv,
                              const std::string& input = {}) const;
  // Runs and requires exit code 0; returns stdout.
  Result<std::string> check(const std::vector<std::string>& argv,
                            const std::string& input = {}) const;
  // Enters the namespace on this thread until the guard is destroyed.
  Result<std::unique_ptr<sys::NetnsGuard>> enter() const;
  // Adds a veth interface kt0 with an IPv6 (and IPv4) address, so that the
  // backend sees a namespace with IPv6.
  Status addIpv6Interface() const;

 private:
  explicit ScratchNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// True when the process may create namespaces and load rules.
bool isRoot();

}  // namespace kt::testing
