// The two BPF objects and where they come from: embedded in the binary (the libbpf skeletons
// generated at build time) or, with --ebpf-programs-source-path DIR, the object files in DIR.
// Root loads these programs into the node's cgroup, so a file from DIR is loaded only when it is
// byte-identical to the embedded object or its SHA-256 is one the node administrator configured
// (--ebpf-programs-sha256, CNI ebpf_programs_sha256); a matching shape alone is not enough. It
// must also match the embedded object in programs, maps, read-only data and layout version.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace kt::backend::ebpf {

enum class ObjectKind {
  kCgroup,  // kuma_tproxy_cgroup.bpf.o: the node-wide cgroup programs
  kNetns,   // kuma_tproxy_netns.bpf.o: the per-pod sk_lookup program
};

const char* objectFileName(ObjectKind kind);

struct ObjectSource {
  std::string dir;  // empty = the embedded objects
  // Object file name -> lower-case hex SHA-256 accepted besides the embedded object's bytes.
  std::map<std::string, std::string> sha256;

  bool embedded() const { return dir.empty(); }
  std::string path(ObjectKind kind) const;  // DIR/<file>; "" when embedded
  // "embedded (41 kB)" or the file path, for logs and dry-run.
  std::string describe(ObjectKind kind) const;
};

// Lower-case hex SHA-256 of `bytes` (OpenSSL EVP).
std::string sha256Hex(std::string_view bytes);

// Reads the object file of `kind` from `source` (a regular file, not a symbolic link) and checks
// it: kConfig error naming the file when it is missing or unreadable, when it is neither
// byte-identical to the embedded object nor of a configured digest (the message gives both
// digests), or when it differs from the embedded object in shape (not a BPF object, a missing
// program or map, a different program type or attach type, map type, key/value size, capacity or
// flags, different read-only data or layout version). Returns the bytes checked, which are the
// ones to load.
Result<std::string> readObjectFile(ObjectKind kind, const ObjectSource& source);

// readObjectFile() of the file at `path` with the digests `sha256`, without the bytes.
Status validateObjectFile(ObjectKind kind, const std::string& path,
                          const std::map<std::string, std::string>& sha256 = {});

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
