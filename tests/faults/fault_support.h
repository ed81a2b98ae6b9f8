// Shared helpers of the fault, concurrency and privilege tests. They drive the real binary
// (KT_TPROXY_BINARY) against throwaway network namespaces and read the kernel state back with
// the real tools, so what they prove holds for the command line an operator runs.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "kernel/flock_holder.h"
#include "support/scratch_netns.h"
#include "sys/exec.h"

namespace kt::testing {

// One backend under test, as the command line names it.
struct BackendCase {
  std::string name;  // "iptables-nft", "iptables-legacy", "nftables"
  bool iptables() const { return name != "nftables"; }
  std::string mode() const { return name.substr(name.find('-') + 1); }  // "nft" / "legacy"
  std::string flag() const { return "--backend=" + name; }
};
// What CTest and gtest print for a parameter (instead of its bytes).
inline void PrintTo(const BackendCase& b, std::ostream* os) {
  *os << b.name;
}
std::vector<BackendCase> ruleBackends();
std::string backendParamName(const ::testing::TestParamInfo<BackendCase>& p);

using Env = std::vector<std::pair<std::string, std::string>>;

// Runs kuma-tproxy with `args` (and `env` on top of the inherited environment).
sys::ExecResult runTproxy(std::vector<std::string> args, const Env& env = {});
// `args` with "--netns PATH" after the subcommand and, except for uninstall, the test uid.
std::vector<std::string> inNetns(const ScratchNetns& ns, std::vector<std::string> args);

// The kernel state a backend owns, split into the units the kernel changes atomically, each
// rendered as normalized text: "ipv4 nat" -> the nat table of iptables-save (comment lines
// dropped, chain counters zeroed); an empty table with only built-in ACCEPT chains counts as
// absent (legacy creates tables when they are merely looked at). For nftables the unit is
// "ruleset": `nft list ruleset`, which one batch replaces atomically.
using Snapshot = std::map<std::string, std::string>;
Snapshot snapshotState(ScratchNetns& ns, const BackendCase& b);
// The units of `got` that equal neither `a` nor `b`, with both versions, for failure messages.
std::string unitsInNeither(const Snapshot& got, const Snapshot& a, const Snapshot& b);
std::string describe(const Snapshot& s);

// Loads rules of another program into the state the backend uses (iptables: raw, nat and
// mangle of both families in its mode; nftables: a table of its own).
Status loadForeignState(ScratchNetns& ns, const BackendCase& b);

// Whether ::6/128 is on the namespace's loopback interface.
bool hasPassthroughAddress(ScratchNetns& ns);

// A child process in its own process group (so the whole tree it starts can be killed at once,
// as a container runtime does), stdout and stderr into `logPath`.
class Spawned {
 public:
  static Result<Spawned> start(const std::string& path, const std::vector<std::string>& args,
                               const Env& env, const std::string& logPath);
  Spawned(Spawned&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
  Spawned& operator=(Spawned&&) = delete;
  ~Spawned();  // kills and reaps whatever is left
  pid_t pid() const { return pid_; }
  void killMain();   // SIGKILL to the process only: what it started runs on, orphaned
  void killGroup();  // SIGKILL to the whole process group
  // Reaps the main process and returns its wait status; then waits until every process of
  // its group has exited (orphans are reparented to this process: see becomeSubreaper()).
  int waitAll();
  // Whether the main process has exited (reaping it if so), without waiting.
  bool exited();

 private:
  explicit Spawned(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER), so
// Spawned::waitAll() can wait for tools a killed run left behind.
void becomeSubreaper();

// Reads a whole file ("" when missing).
std::string readFile(const std::string& path);

// A directory early in PATH whose files stand in for tools (symlinks to kt_fault_tool, see
// fault_tool.cpp); removed with everything in it.
class StubDir {
 public:
  StubDir();
  ~StubDir();
  StubDir(const StubDir&) = delete;
  StubDir& operator=(const StubDir&) = delete;
  // Makes `name` (e.g. "ip6tables-nft-restore") a fault tool that runs the real `name`.
  void stub(const std::string& name);
  const std::string& dir() const { return dir_; }
  // The environment for a run that should find the stubs: PATH and the variables given.
  Env env(Env extra) const;

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

// Unique temporary path (removed by the caller).
std::string tempPath(const std::string& tag);

}  // namespace kt::testing
