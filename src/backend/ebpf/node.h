// The node-wide part: the shared maps, the cgroup programs (loaded and attached once at
// --ebpf-cgroup-path by the first install on a node) and the sk_lookup template every pod's
// program is loaded from (sk_lookup_prog.h), reused by every later install.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "backend/ebpf/host.h"
#include "backend/ebpf/layout.h"
#include "backend/ebpf/libbpf_util.h"
#include "backend/ebpf/objects.h"
#include "base/result.h"
#include "sys/fd.h"

namespace kt::backend::ebpf {

using MapFds = std::array<sys::Fd, kMapSpecs.size()>;

// The outcome of ensureNode(). Until commit(), destroying it removes every pin and attachment
// that ensureNode() created (so a failed install leaves nothing half-attached); what was pinned
// before is never touched.
class NodeSetup {
 public:
  // Reuses the pinned maps and links when all of them are there and attached at `cgroup`.
  // Otherwise probes the kernel, loads the cgroup object from `source` (reusing pinned maps),
  // pins the missing maps, attaches the missing programs with bpf_link (multi-attach) and pins
  // the links. Links attached to another cgroup are an error (one attach point per node). Pins
  // the sk_lookup template when it is missing.
  // `netnsCookie` is the installing pod's: when this call builds the template, the instance it
  // loads for that is the pod's (podProgram()).
  static Result<std::unique_ptr<NodeSetup>> ensure(const PinLayout& layout,
                                                   const ObjectSource& source,
                                                   const CgroupDir& cgroup, uint64_t netnsCookie);
  ~NodeSetup();
  NodeSetup(const NodeSetup&) = delete;
  NodeSetup& operator=(const NodeSetup&) = delete;

  void commit() { committed_ = true; }
  // True when this call loaded and attached programs (the first install on the node).
  bool loadedPrograms() const { return loaded_; }
  const MapFds& maps() const { return maps_; }
  int mapFd(MapIndex i) const { return maps_[i].get(); }
  // The installing pod's sk_lookup instance if building the template loaded one, else invalid.
  sys::Fd takePodProgram() { return std::move(podProgram_); }

 private:
  NodeSetup() = default;
  Status ensureSkLookupTemplate(const PinLayout& layout, const ObjectSource& source,
                                uint64_t netnsCookie);
  MapFds maps_;
  bool loaded_ = false;
  bool committed_ = false;
  std::vector<std::string> createdPins_;
  std::vector<BpfLinkPtr> createdLinks_;
  std::unique_ptr<BpfObject> object_;
  sys::Fd podProgram_;
};

// One line per pinned cgroup link ("kt_connect4 cgroup/connect4 cgroup-id 1234") and a
// difference line for each one that is missing or attached elsewhere, for verify.
struct NodeReport {
  std::vector<std::string> differences;
};
NodeReport inspectNode(const PinLayout& layout, uint64_t cgroupId);

}  // namespace kt::backend::ebpf
