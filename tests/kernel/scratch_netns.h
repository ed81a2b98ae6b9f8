// Test support for the kernel and iptables tiers: a throwaway network namespace and helpers to
// run programs in it. Everything created has a unique name (tag, pid, counter) and is removed
// in the destructor, also when the test fails, since other engineers' tests run concurrently.
#pragma once

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/result.h"
#include "sys/exec.h"
#include "sys/netns.h"

// Skips the current test when not root (kernel tests need CAP_NET_ADMIN and CAP_SYS_ADMIN).
#define KT_REQUIRE_ROOT()                                                                     \
  do {                                                                                        \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and rules"; \
  } while (0)

namespace kt::testing {

// Runs a program (resolved like the product resolves it) in the current namespace.
inline Result<sys::ExecResult> runProgram(const std::string& prog, std::vector<std::string> args,
                                          std::string input = {}) {
  KT_ASSIGN_OR_RETURN(std::string path, sys::findExecutable(prog));
  sys::ExecRequest req;
  req.path = path;
  req.args = std::move(args);
  req.input = std::move(input);
  req.timeout = std::chrono::seconds(60);
  return sys::run(req);
}

class ScratchNetns {
 public:
  // `ip netns add kt-<tag>-<pid>-<n>` with loopback up.
  static Result<std::unique_ptr<ScratchNetns>> make(const std::string& tag) {
    static std::atomic<int> counter{0};
    std::string name =
        "kt-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    KT_ASSIGN_OR_RETURN(auto add, runProgram("ip", {"netns", "add", name}));
    if (!add.success()) return Error::runtime("ip netns add " + name + ": " + add.describe());
    std::unique_ptr<ScratchNetns> ns(new ScratchNetns(name));
    KT_TRY(ns->ip({"link", "set", "lo", "up"}));
    return ns;
  }
  ~ScratchNetns() {
    auto del = runProgram("ip", {"netns", "del", name_});
    if (!del || !del->success()) ADD_FAILURE() << "could not delete network namespace " << name_;
  }
  ScratchNetns(const ScratchNetns&) = delete;
  ScratchNetns& operator=(const ScratchNetns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

  // `ip -n NAME args...`.
  Status ip(std::vector<std::string> args) {
    args.insert(args.begin(), {"-n", name_});
    KT_ASSIGN_OR_RETURN(auto r, runProgram("ip", args));
    if (!r.success())
      return Error::runtime("ip " + sys::commandLine("", args) + ": " + r.describe());
    return okStatus();
  }

  // A veth pair inside the namespace, both ends up, with IPv4 and IPv6 addresses on one end:
  // what a pod with IPv6 looks like to the probes.
  Status addIpv6Link() {
    KT_TRY(ip({"link", "add", "kt0", "type", "veth", "peer", "name", "kt1"}));
    KT_TRY(ip({"addr", "add", "10.200.0.1/24", "dev", "kt0"}));
    KT_TRY(ip({"addr", "add", "fd00:200::1/64", "dev", "kt0", "nodad"}));
    KT_TRY(ip({"link", "set", "kt0", "up"}));
    KT_TRY(ip({"link", "set", "kt1", "up"}));
    return okStatus();
  }

  // Runs a program inside the namespace.
  Result<sys::ExecResult> run(const std::string& prog, std::vector<std::string> args,
                              std::string input = {}) {
    KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(path()));
    return runProgram(prog, std::move(args), std::move(input));
  }

  // Runs a program inside the namespace and returns its stdout; a failure is an Error.
  Result<std::string> output(const std::string& prog, std::vector<std::string> args,
                             std::string input = {}) {
    KT_ASSIGN_OR_RETURN(auto r, run(prog, args, std::move(input)));
    if (!r.success())
      return Error::runtime(prog + " " + sys::commandLine("", args) + ": " + r.describe());
    return std::move(r.out);
  }

 private:
  explicit ScratchNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// The "-A ..." lines of one table in *-save output, in order.
inline std::vector<std::string> savedRules(const std::string& save, const std::string& table) {
  std::vector<std::string> out;
  bool in = false;
  size_t pos = 0;
  while (pos < save.size()) {
    size_t end = save.find('\n', pos);
    if (end == std::string::npos) end = save.size();
    std::string line = save.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line[0] == '*') in = line.substr(1) == table;
    if (in && line.rfind("-A ", 0) == 0) out.push_back(line);
  }
  return out;
}

}  // namespace kt::testing
