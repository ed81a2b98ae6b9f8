// Race repair: the installer's reconcile loop that finds meshed pods of this node whose network
// namespace lacks our interception (the pod started before kuma-cni was chained, or its rules
// were removed) and installs it in place, without restarting the pod.
//
// One pass (reconcileOnce):
//   1. one LIST of this node's pods (fieldSelector=spec.nodeName=NODE_NAME), one attempt;
//   2. the pods ADD would set up (planPod: the same skip rules and configuration stage), minus
//      host-network pods (the runtime never calls a CNI plugin for them) and finished ones;
//   3. the node's distinct network namespaces: every entry of /var/run/netns and every
//      /proc/<pid>/ns/net, deduplicated by inode, never the installer's own namespace;
//   4. a pod's namespace is the one namespace holding one of its status.podIPs on an interface
//      other than loopback. No namespace (not created yet, no address yet) or more than one
//      (an address reused by a namespace nobody listed) means "not found": retried at the next
//      passes with the pod's back-off, never guessed;
//   5. ensureInstalled (commands.h): CHECK's comparison under ADD's namespace lock, and ADD's
//      install when something is missing or differs. One log line per repair.
// Bounded: at most maxRepairsPerPass installs per pass (the rest wait for the next pass), a
// per-pod back-off doubling from the interval up to kMaxPodBackoff after each failure, and the
// caller backs off the whole loop when the list fails. Namespaces that match no selected pod
// are only read (their addresses), never locked or changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "cni/install/install_config.h"
#include "cni/net_conf.h"

namespace kt::cni {

// Counters for the metrics endpoint (totals since start; lastDurationMs of the latest pass).
struct RepairStats {
  uint64_t passes = 0;
  uint64_t podsChecked = 0;  // selected pods whose namespace was found and compared
  uint64_t repairs = 0;      // namespaces where interception was (re)installed
  uint64_t failures = 0;     // failed lists, compares and installs
  double lastDurationSeconds = 0;
};

// A network namespace of the node and the addresses on its non-loopback interfaces.
struct NodeNetns {
  std::string path;  // a path that opens it: /var/run/netns/NAME or /proc/PID/ns/net
  uint64_t inode = 0;
  std::vector<std::string> addresses;  // IpAddress::str() of each address
};

// The distinct network namespaces under `netnsDir` and `procDir`/<pid>/ns/net, except the
// caller's own; a namespace that vanishes or cannot be entered while walking is left out
// (logged at debug). Enters each one on the calling thread (NetnsGuard) to read addresses.
std::vector<NodeNetns> walkNodeNamespaces(const std::string& netnsDir = "/var/run/netns",
                                          const std::string& procDir = "/proc");

class Repairer {
 public:
  // `plugin` is the installed kuma-cni network configuration (the installer's template), whose
  // administrator policy and exclusions decide like ADD; the kubeconfig is read at the
  // installer's mounted path.
  static Result<Repairer> make(const InstallConfig& cfg, NetConf plugin);

  // One pass. An error only when the pod list could not be obtained or parsed (the caller
  // backs off); per-pod failures are logged, counted and backed off here.
  Status reconcileOnce();

  const RepairStats& stats() const { return stats_; }

 private:
  Repairer(const InstallConfig& cfg, NetConf plugin) : cfg_(cfg), plugin_(std::move(plugin)) {}

  struct Backoff {
    uint32_t failures = 0;
    std::chrono::steady_clock::time_point next;
  };
  void failed(const std::string& key, std::chrono::steady_clock::time_point now);

  InstallConfig cfg_;
  NetConf plugin_;
  RepairStats stats_;
  std::map<std::string, Backoff> backoff_;  // by "namespace/name"
};

// The per-pod back-off after `failures` consecutive failures: the interval doubled each time,
// at most kMaxPodBackoff.
inline constexpr std::chrono::milliseconds kMaxPodBackoff{std::chrono::minutes(5)};
std::chrono::milliseconds podBackoff(std::chrono::milliseconds interval, uint32_t failures);

}  // namespace kt::cni
