// Test environment for the eBPF backend tests: throwaway network namespaces joined by a veth
// pair, a scratch cgroup v2 directory, a scratch bpffs, and processes placed in them.
//
// Every name carries the test process's pid and a counter, and every fixture removes what it
// created in its destructor, also when an assertion fails. Processes join the cgroup from the
// host's mount view (cgroup.procs written before setns), then enter the namespace with setns:
// `ip netns exec` would hide the cgroup and bpf mounts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/net.h"
#include "base/result.h"
#include "support/scratch_bpffs.h"
#include "support/scratch_cgroup.h"
#include "support/scratch_netns.h"

namespace kt::ebpftest {

using testing::isRoot;

// "kt-ebpf-<pid>-<n>-<tag>": unique on this machine for this process.
std::string uniqueName(const std::string& tag);

// Runs `ip ARGS...`; error with its stderr on failure.
Status ip(const std::vector<std::string>& args);

// A named network namespace (ip netns add, loopback up), deleted on destruction.
using Netns = testing::ScratchNetns;

// A pod namespace and a peer namespace joined by a veth pair named eth0 on both sides, with
// IPv4 10.<net>.0.{2 pod,1 peer}/24 and IPv6 fd<net>::{2,1}/64 (nodad), lo and eth0 up.
class PodNet {
 public:
  static Result<std::unique_ptr<PodNet>> make(uint8_t net, bool ipv6 = true);
  const Netns& pod() const { return *pod_; }
  const Netns& peer() const { return *peer_; }
  IpAddress podV4, peerV4, podV6, peerV6;

 private:
  std::unique_ptr<Netns> pod_, peer_;
};

using testing::ScratchBpffs;
using testing::ScratchCgroup;

// A scratch directory in the cgroup v2 hierarchy named uniqueName("cg"); on destruction its
// processes are killed and it is removed.
Result<std::unique_ptr<ScratchCgroup>> scratchCgroup();

// A scratch bpffs mount named uniqueName("bpffs"). On destruction every link pinned in it (under
// any layout version) is detached first, so nothing stays attached to a cgroup, then it is
// unmounted and removed.
Result<std::unique_ptr<ScratchBpffs>> scratchBpffs(bool readOnly = false);

// Where and as whom a test process runs.
struct Place {
  std::string netnsPath;  // empty = the test's own namespace
  std::string cgroupDir;  // empty = stay in the test's cgroup
  uid_t uid = 0;
};

// A forked process; SIGKILLed and reaped on destruction.
class Proc {
 public:
  // Runs `body(readyFd)` in a child placed at `place`. The child writes one byte to readyFd
  // when it is ready (e.g. listening); start() waits for it (up to 5 s).
  static Result<std::unique_ptr<Proc>> start(const Place& place,
                                             std::function<int(int readyFd)> body);
  ~Proc();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Runs `body()` in a child placed at `place` (testing::runInChild, 15 s) and returns the text it
// returned.
Result<std::string> runIn(const Place& place, std::function<std::string()> body);

// "10.0.0.1:80" or "[fd00::1]:80".
std::string endpoint(const IpAddress& a, uint16_t port);

}  // namespace kt::ebpftest
