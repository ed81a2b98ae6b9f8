// The per-namespace sk_lookup program without an object file per pod. sk_lookup programs learn
// their namespace from nowhere but their own code (bpf/sk_lookup.bpf.c), so every pod needs its
// own instance. The node keeps kt_sk_lookup's relocated instructions in a pinned, frozen array
// map (the template, next to the shared maps); a pod's instance is the template with the shared
// maps' descriptors and the namespace cookie patched in, loaded with one BPF_PROG_LOAD. No ELF,
// BTF, read-only data map or libbpf feature probe is involved per pod.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <vector>

#include "backend/ebpf/layout.h"
#include "backend/ebpf/node.h"
#include "backend/ebpf/objects.h"
#include "base/result.h"
#include "sys/fd.h"

namespace kt::backend::ebpf {

inline constexpr uint32_t kMaxSkLookupInsns = 4096;

// The template's one map value. In `insns`, every 64-bit load of a map (BPF_PSEUDO_MAP_FD) holds
// the map's index in kMapSpecs instead of a descriptor, and insns[cookieInsn] is the load of
// KT_NETNS_COOKIE_MARKER.
struct SkLookupTemplate {
  uint32_t magic;
  uint32_t layoutVersion;
  uint32_t insnCount;
  uint32_t cookieInsn;
  bpf_insn insns[kMaxSkLookupInsns];
};
inline constexpr uint32_t kSkLookupTemplateMagic = 0x6b74736c;  // "ktsl"

inline constexpr MapSpec kSkLookupTemplateSpec = {
    kSkLookupTemplateMap, BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(SkLookupTemplate), 1,
    BPF_F_RDONLY_PROG};

struct BuiltSkLookup {
  std::unique_ptr<SkLookupTemplate> tmpl;
  sys::Fd prog;  // the instance loaded to build it, for the namespace given
};

// Opens the netns object from `source` with libbpf, reusing the shared `maps`, loads it once as
// the instance of the namespace `netnsCookie` (so the install that builds the template loads no
// second instance) and turns kt_sk_lookup's relocated instructions into a template. Fails naming
// the instruction if the program refers to anything but the shared maps and the one cookie
// marker.
Result<BuiltSkLookup> buildSkLookupTemplate(const ObjectSource& source, const MapFds& maps,
                                            uint64_t netnsCookie);

// Creates the template map, writes `tmpl`, freezes it (read-only from then on, for programs and
// system calls alike) and pins it at layout.map(kSkLookupTemplateMap).
Status pinSkLookupTemplate(const PinLayout& layout, const SkLookupTemplate& tmpl);

// Opens the pinned template map and checks its shape; kNotFound if nothing is pinned.
Result<sys::Fd> openSkLookupTemplate(const PinLayout& layout);

// Loads the instance of kt_sk_lookup for the namespace `netnsCookie` from the pinned template,
// with `maps` (kMapSpecs order) as its maps. Returns the program fd. A verifier failure quotes
// the end of the verifier log.
Result<sys::Fd> loadSkLookup(const PinLayout& layout, const MapFds& maps, uint64_t netnsCookie);

}  // namespace kt::backend::ebpf
