// Everything one e2e test needs, created in order and torn down in reverse, also when the test
// fails: the topology, the scratch cgroup and bpffs when the backend needs them, and the
// scenario's processes (harness/scenario.h):
//   pod:  fake sidecar as uid 5678; the application's server as uid 1000 on 80 and 8081
//   peer: server on 8080 and 9090, DNS resolver on 53
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "harness/backends.h"
#include "harness/process.h"
#include "harness/tool.h"
#include "harness/topology.h"
#include "support/scratch_bpffs.h"
#include "support/scratch_cgroup.h"

namespace kt::e2e {

using testing::ScratchBpffs;
using testing::ScratchCgroup;

struct PodEnvOptions {
  std::string tag = "pod";  // part of the namespace names
  bool cgroup = false;      // create a scratch cgroup and place the pod's processes in it
  bool bpffs = false;       // mount a scratch bpffs
  bool startProcesses = true;
};

class PodEnv {
 public:
  // Sweeps leftovers of dead runs first (names.h), then builds everything.
  static Result<std::unique_ptr<PodEnv>> make(const PodEnvOptions& opt);
  ~PodEnv();
  PodEnv(const PodEnv&) = delete;
  PodEnv& operator=(const PodEnv&) = delete;

  const Topology& topo() const { return *topo_; }
  InstallEnv installEnv() const;

  // Placements in the pod (inside the scratch cgroup when there is one) and in the peer.
  Placement app() const { return inPod(kAppUid); }
  Placement sidecarUser() const { return inPod(kSidecarUid); }
  Placement inPod(uint32_t uid) const;
  Placement peer() const;

  // Starts the scenario's three processes (done by make() unless startProcesses is false).
  Status startProcesses();
  // Stops them and reports how each ended: a helper that crashed is a test failure.
  Status stopProcesses();

 private:
  PodEnv() = default;
  std::unique_ptr<Topology> topo_;
  std::unique_ptr<ScratchCgroup> cgroup_;
  std::unique_ptr<ScratchBpffs> bpffs_;
  // Declared last: destroyed first, before the cgroup and the namespaces they live in.
  std::unique_ptr<Process> sidecar_, app_, peer_;
};

}  // namespace kt::e2e
