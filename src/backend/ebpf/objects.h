// The two BPF objects and where they come from: embedded in the binary (the libbpf skeletons
// generated at build time) or, with --ebpf-programs-source-path DIR, the object files in DIR,
// which must match the embedded ones in programs, maps, read-only data and layout version.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"

namespace kt::backend::ebpf {

enum class ObjectKind {
  kCgroup,  // kuma_tproxy_cgroup.bpf.o: the node-wide cgroup programs
  kNetns,   // kuma_tproxy_netns.bpf.o: the per-pod sk_lookup program
};

const char* objectFileName(ObjectKind kind);

struct ObjectSource {
  std::string dir;  // empty = the embedded objects

  bool embedded() const { return dir.empty(); }
  std::string path(ObjectKind kind) const;  // DIR/<file>; "" when embedded
  // "embedded (41 kB)" or the file path, for logs and dry-run.
  std::string describe(ObjectKind kind) const;
};

// Compares an object file with the embedded object of that kind. kConfig error naming the file
// and the first difference: missing/unreadable file, not a BPF object, a missing program or map,
// a different program type or attach type, map type, key/value size, capacity or flags,
// different read-only data or layout version.
Status validateObjectFile(ObjectKind kind, const std::string& path);

// An opened (not yet loaded) BPF object, through its skeleton. Destroying it unloads programs
// and closes maps that were not pinned or attached.
class BpfObject {
 public:
  static Result<std::unique_ptr<BpfObject>> open(ObjectKind kind, const ObjectSource& source);
  ~BpfObject();
  BpfObject(const BpfObject&) = delete;
  BpfObject& operator=(const BpfObject&) = delete;

  ObjectKind kind() const { return kind_; }
  bpf_object* obj() const { return obj_; }
  bpf_program* program(const char* name) const;
  bpf_map* map(const char* name) const;

  // kNetns only, before load(): the namespace this instance serves.
  void setNetnsCookie(uint64_t cookie);

  // Loads (verifies) every program. On failure the verifier log goes to the log and its tail
  // into the error.
  Status load();

 private:
  BpfObject() = default;
  ObjectKind kind_ = ObjectKind::kCgroup;
  void* skel_ = nullptr;  // kuma_tproxy_cgroup* / kuma_tproxy_netns*
  bpf_object* obj_ = nullptr;
  bpf_object_skeleton* desc_ = nullptr;  // owned by skel_
  std::string bytes_;  // the object file's bytes when not embedded (libbpf reads them in place)
  std::string origin_;
};

}  // namespace kt::backend::ebpf
