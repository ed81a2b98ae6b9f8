// A throwaway named network namespace for kernel and e2e tests, and running programs inside it.
//
// The namespace is created with `ip netns add` (so `ip -n`, `nft` and `kuma-tproxy --netns` can
// name it), its loopback is up, and the destructor deletes it, also when the test failed.
// Programs run inside it by entering it with setns in the forked child before execve, not with
// `ip netns exec`, which remounts /sys and hides the cgroup v2 and bpffs mounts.
#pragma once

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sys/exec.h"
#include "sys/fd.h"
#include "sys/netns.h"

// Skips the current test when not root (namespaces, rules and BPF programs need it).
#define KT_REQUIRE_ROOT()                                              \
  do {                                                                 \
    if (!::kt::testing::isRoot())                                      \
      GTEST_SKIP() << "needs root: creates network namespaces, rules " \
                      "and kernel objects";                            \
  } while (0)

namespace kt::testing {

// True when the process may create namespaces and load rules.
bool isRoot();

// Runs `program` (resolved like the product resolves it, sys::findExecutable) in the current
// namespace and waits for it; a non-zero exit is a normal ExecResult.
Result<sys::ExecResult> runProgram(const std::string& program, std::vector<std::string> args,
                                   std::string input = {},
                                   std::chrono::seconds timeout = std::chrono::seconds(60));

class ScratchNetns {
 public:
  // "kt-<tag>-<pid>-<n>": unique on this machine while this process lives.
  static Result<std::unique_ptr<ScratchNetns>> make(const std::string& tag);
  // Exactly `name`; the caller keeps it unique (e.g. with the pid).
  static Result<std::unique_ptr<ScratchNetns>> named(const std::string& name);
  // remove() unless done already.
  ~ScratchNetns();
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& name() const { return name_; }
  // The namespace file, for setns and for `kuma-tproxy --netns`.
  std::string path() const { return "/run/netns/" + name_; }
  // A descriptor of the namespace, open as long as this object: it keeps the namespace alive
  // after remove() (like a process still inside a pod sandbox whose name is gone).
  int fd() const { return fd_.get(); }
  // `ip netns delete` now (a pod sandbox that vanished); a failure is a test failure (the
  // namespace would be left behind). Once only; fd() stays valid.
  void remove();

  // Runs `program` inside the namespace and waits for it; a non-zero exit is a normal
  // ExecResult.
  Result<sys::ExecResult> run(const std::string& program, const std::vector<std::string>& args,
                              const std::string& input = {}) const;
  // Like run(), but a non-zero exit is an Error naming the command and its stderr; returns stdout.
  Result<std::string> check(const std::string& program, const std::vector<std::string>& args,
                            const std::string& input = {}) const;
  // `ip -n NAME args...`, which must succeed.
  Status ip(const std::vector<std::string>& args) const;
  // `ip -batch -` in the namespace, one ip command per line of `commands`.
  Status ipBatch(const std::string& commands) const;
  // Enters the namespace on the calling thread until the guard is destroyed (for code under test
  // that works on the current namespace).
  Result<std::unique_ptr<sys::NetnsGuard>> enter() const;
  // A veth pair kt0/kt1 with both ends here and up, 10.200.0.1/24 and fd00:200::1/64 (nodad) on
  // kt0: what a pod with usable IPv6 looks like to the backends' probes.
  Status addIpv6Interface() const;

 private:
  explicit ScratchNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
  sys::Fd fd_;
  bool removed_ = false;
};

// A new namespace, or nullptr with a test failure recorded.
std::unique_ptr<ScratchNetns> newNetns(const std::string& tag);

}  // namespace kt::testing

// Sets `member` (a std::unique_ptr<ScratchNetns>) to a new namespace "kt-<tag>-...", or fails the
// test (for a fixture's SetUp).
#define KT_ASSERT_NEW_NETNS(member, tag)                            \
  do {                                                              \
    auto made_netns_ = ::kt::testing::ScratchNetns::make(tag);      \
    ASSERT_TRUE(made_netns_.ok()) << made_netns_.error().message(); \
    (member) = std::move(*made_netns_);                             \
  } while (0)

// Asserts that a Result or Status is ok, printing its error otherwise.
#define KT_ASSERT_OK(expr)                                        \
  do {                                                            \
    auto&& ok_result_ = (expr);                                   \
    ASSERT_TRUE(ok_result_.ok()) << ok_result_.error().message(); \
  } while (0)
