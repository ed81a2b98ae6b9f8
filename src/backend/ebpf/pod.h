// The per-pod part: the kt_pods entry with its port sets and prefixes (one generation at a
// time), and the pod's sk_lookup program attached to its network namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/ebpf/layout.h"
#include "backend/ebpf/node.h"
#include "backend/ebpf/objects.h"
#include "backend/ebpf/plan.h"
#include "base/result.h"

namespace kt::backend::ebpf {

// Installs or replaces the pod's configuration. Order, so that programs never see a mix of two
// configurations: the new generation's port sets and prefixes are written, the pod's sk_lookup
// program is loaded from the node's template (sk_lookup_prog.h) and attached (or swapped into the
// pinned link), the kt_pods entry is switched
// to the new generation in one update, then the previous generation is deleted. On failure the
// new generation is removed again and the previous configuration stays in force.
// `netnsFd` is the pod's namespace (the current one), `netnsIno` its inode. `program`, when
// valid, is the pod's sk_lookup instance already loaded (NodeSetup::takePodProgram()).
Status installPod(const PinLayout& layout, const MapFds& maps, const PodPlan& plan, int netnsFd,
                  uint64_t netnsIno, sys::Fd program = {});

// Removes a pod: its kt_pods entry first (interception stops at once), then its sk_lookup link
// (detached and unpinned), then its port sets and prefixes. Success if nothing is there.
Status removePod(const PinLayout& layout, const MapFds& maps, uint64_t netnsCookie);

// Removes pods whose network namespace is gone (their sk_lookup link was detached by the
// kernel), plus map entries that belong to no live pod generation (left by a crash). Returns the
// number of pods removed.
Result<size_t> collectGarbage(const PinLayout& layout, const MapFds& maps);

// The pod's state as the kernel holds it, in plan form, for verify.
struct PodReadback {
  std::optional<kt_pod> pod;
  std::vector<PortSetPlan> portSets;  // ranges rebuilt from the bitmaps
  std::vector<AddrPlan> addrs;
  bool linkAttached = false;  // sk_lookup link pinned and attached to `netnsIno`
  std::string linkProblem;
};
Result<PodReadback> readPod(const PinLayout& layout, const MapFds& maps, uint64_t netnsCookie,
                            uint64_t netnsIno);

// Cookies of the pods that have a pin directory.
std::vector<uint64_t> pinnedPods(const PinLayout& layout);

}  // namespace kt::backend::ebpf
