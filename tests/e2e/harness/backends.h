// The backends the e2e suites run against, as descriptors. The suites are parameterized over
// allBackends(); nothing else in the suites knows which backend it is testing.
//
// Adding a backend (e.g. eBPF): append to allBackends() in backends.cpp, typically
//   BackendSpec b = cliBackend("ebpf", {"--backend=ebpf"}, [](const InstallEnv& e) {
//     return std::vector<std::string>{"--ebpf-cgroup-path=" + e.cgroupDir,
//                                     "--ebpf-bpffs-path=" + e.bpffsDir};
//   });
//   b.needsCgroup = true;  // pod processes are placed in a scratch cgroup v2 dir (e.cgroupDir)
//   b.needsBpffs = true;   // a scratch bpffs is mounted for the test (e.bpffsDir)
//   b.leftovers = ...;     // what of ours is left (pins, attachments), on top of netfilter
//   b.state = ...;         // the state "install twice == once" compares
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "harness/scenario.h"
#include "harness/topology.h"

namespace kt::e2e {

// What a backend may need to know about the test's pod.
struct InstallEnv {
  const Topology* topo = nullptr;
  std::string cgroupDir;  // set when BackendSpec::needsCgroup
  std::string bpffsDir;   // set when BackendSpec::needsBpffs
};

struct BackendSpec {
  std::string name;  // the test parameter name (letters, digits, '_')
  bool needsCgroup = false;
  bool needsBpffs = false;
  // Applies the scenario in the pod namespace.
  std::function<Status(const InstallEnv&, const Scenario&)> install;
  // Removes everything installed in the pod namespace.
  std::function<Status(const InstallEnv&)> uninstall;
  // The installed state, normalized: equal after one and after two installs.
  std::function<Result<std::string>(const InstallEnv&)> state;
  // Descriptions of anything of ours still present; must be empty after uninstall.
  std::function<Result<std::vector<std::string>>(const InstallEnv&)> leftovers;
  // Why this backend cannot be tested with this build of kuma-tproxy, or nullopt. Only two
  // reasons qualify: the binary has no install subcommand yet, or the backend is still the
  // placeholder that reports "not implemented yet". Anything else is a test failure.
  std::function<std::optional<std::string>(const InstallEnv&)> notReady;
};

// A backend driven through the built kuma-tproxy:
//   install:   kuma-tproxy install <backendArgs> <scenario flags> <extraArgs(env)> --netns POD
//   uninstall: kuma-tproxy uninstall <backendArgs> <extraArgs(env)> --netns POD
// state and leftovers read netfilter with every tool (netfilter_dump.h).
BackendSpec cliBackend(std::string name, std::vector<std::string> backendArgs,
                       std::function<std::vector<std::string>(const InstallEnv&)> extraArgs = {});

// Kuma's rule set written out by hand for the scenario and applied with iptables-restore and
// ip6tables-restore (nf_tables mode), no kuma-tproxy involved. It proves the suites' assertions
// are satisfiable and discriminating independently of any backend; a failure here is a harness
// or kernel problem, a failure only elsewhere is the backend's.
BackendSpec referenceBackend();

// The eBPF backend (harness/ebpf_backend.cpp): scratch cgroup v2 directory and bpffs, state and
// leftovers from the pins, maps and attachments as well as netfilter.
BackendSpec ebpfBackend();

// Every backend the suites run: the reference, iptables-nft, iptables-legacy, nftables, ebpf.
std::vector<BackendSpec> allBackends();

}  // namespace kt::e2e
