// A throwaway named network namespace for kernel tests: unique name (prefix, pid, counter),
// deleted in the destructor even when the test fails. Commands run inside it with
// `ip netns exec`; in-process code enters it with enter().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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

// A new namespace, or nullptr with a test failure recorded.
inline std::unique_ptr<ScratchNetns> newNetns() {
  auto ns = ScratchNetns::create();
  EXPECT_TRUE(ns.ok()) << ns.error().message();
  return ns.ok() ? std::move(*ns) : nullptr;
}

}  // namespace kt::testing

#define REQUIRE_ROOT()        \
  if (!kt::testing::isRoot()) \
  GTEST_SKIP() << "needs root to create network namespaces and load nftables rules"

#define ASSERT_OK(expr)                                           \
  do {                                                            \
    auto&& ok_result_ = (expr);                                   \
    ASSERT_TRUE(ok_result_.ok()) << ok_result_.error().message(); \
  } while (0)
