// The eBPF backend's fixed layout: the structs shared with the BPF programs (checked here), the
// names of maps and programs, and where everything is pinned.
//
// Pins (all under the bpffs given by --ebpf-bpffs-path):
//   kuma_tproxy_v<N>/                 the layout directory; flock()ed while an install runs
//   kuma_tproxy_v<N>/maps/<map>       the shared maps (kt_pods, kt_addrs, ...)
//   kuma_tproxy_v<N>/links/<prog>     the node-wide cgroup attachments (one per program)
//   kuma_tproxy_v<N>/pods/<cookie>/sk_lookup   a pod's sk_lookup attachment to its namespace
// N is KT_LAYOUT_VERSION: a binary only ever reads its own version's directory and refuses to
// install next to another version's pins.
#pragma once

#include <linux/bpf.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tproxy_shared.h"

namespace kt::backend::ebpf {

static_assert(sizeof(kt_uid_rule) == 12);
static_assert(sizeof(kt_pod) == 52 + 12 * KT_MAX_UID_RULES);
static_assert(offsetof(kt_pod, outbound_port) == 16);
static_assert(offsetof(kt_pod, n_uid_rules) == 28);
static_assert(offsetof(kt_pod, src4) == 32);
static_assert(offsetof(kt_pod, src6) == 36);
static_assert(offsetof(kt_pod, uid_rules) == 52);
static_assert(sizeof(kt_port_set_key) == 16);
static_assert(sizeof(kt_port_set) == 8192);
static_assert(sizeof(kt_addr_key) == 32);
static_assert(offsetof(kt_addr_key, netns) == 8);
static_assert(offsetof(kt_addr_key, addr) == 16);
static_assert(sizeof(kt_origin) == 24);
static_assert(sizeof(kt_tuple_key) == 48);
static_assert(sizeof(kt_listener_key) == 16);

inline constexpr uint32_t kLayoutVersion = KT_LAYOUT_VERSION;
inline constexpr const char* kLayoutDirPrefix = "kuma_tproxy_v";

inline std::string layoutDirName(uint32_t version = kLayoutVersion) {
  return kLayoutDirPrefix + std::to_string(version);
}

// The maps as the programs define them (tproxy_maps.h); pinned maps are checked against this
// table before use, and a test checks it against the embedded objects.
struct MapSpec {
  const char* name;
  bpf_map_type type;
  uint32_t keySize;
  uint32_t valueSize;
  uint32_t maxEntries;
  uint32_t flags;
};

inline constexpr std::array<MapSpec, 6> kMapSpecs = {{
    {"kt_pods", BPF_MAP_TYPE_HASH, sizeof(uint64_t), sizeof(kt_pod), KT_MAX_PODS,
     BPF_F_NO_PREALLOC},
    {"kt_port_sets", BPF_MAP_TYPE_HASH, sizeof(kt_port_set_key), sizeof(kt_port_set),
     KT_MAX_PORT_SETS, BPF_F_NO_PREALLOC},
    {"kt_addrs", BPF_MAP_TYPE_LPM_TRIE, sizeof(kt_addr_key), sizeof(uint32_t), KT_MAX_ADDRS,
     BPF_F_NO_PREALLOC},
    {"kt_origins", BPF_MAP_TYPE_SK_STORAGE, sizeof(int), sizeof(kt_origin), 0, BPF_F_NO_PREALLOC},
    {"kt_pending", BPF_MAP_TYPE_LRU_HASH, sizeof(kt_tuple_key), sizeof(kt_origin), KT_MAX_PENDING,
     0},
    {"kt_listeners", BPF_MAP_TYPE_SOCKHASH, sizeof(kt_listener_key), sizeof(uint64_t),
     KT_MAX_LISTENERS, 0},
}};

enum MapIndex : size_t { kPods, kPortSets, kAddrs, kOrigins, kPending, kListeners };

// A node-wide program: its name in the object, its attach type at the cgroup, the pin name.
struct CgroupProgram {
  const char* name;
  bpf_attach_type attachType;
  const char* hook;  // as users know it: "cgroup/connect4"
};

inline constexpr std::array<CgroupProgram, 10> kCgroupPrograms = {{
    {"kt_connect4", BPF_CGROUP_INET4_CONNECT, "cgroup/connect4"},
    {"kt_connect6", BPF_CGROUP_INET6_CONNECT, "cgroup/connect6"},
    {"kt_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, "cgroup/sendmsg4"},
    {"kt_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, "cgroup/sendmsg6"},
    {"kt_recvmsg4", BPF_CGROUP_UDP4_RECVMSG, "cgroup/recvmsg4"},
    {"kt_recvmsg6", BPF_CGROUP_UDP6_RECVMSG, "cgroup/recvmsg6"},
    {"kt_getpeername4", BPF_CGROUP_INET4_GETPEERNAME, "cgroup/getpeername4"},
    {"kt_getpeername6", BPF_CGROUP_INET6_GETPEERNAME, "cgroup/getpeername6"},
    {"kt_sockops", BPF_CGROUP_SOCK_OPS, "sockops"},
    {"kt_getsockopt", BPF_CGROUP_GETSOCKOPT, "cgroup/getsockopt"},
}};

inline constexpr const char* kSkLookupProgram = "kt_sk_lookup";
inline constexpr const char* kSkLookupPin = "sk_lookup";
// The node's relocated kt_sk_lookup instructions (sk_lookup_prog.h), pinned next to the maps.
inline constexpr const char* kSkLookupTemplateMap = "kt_sk_lookup_prog";

// Paths of one layout directory.
struct PinLayout {
  std::string bpffs;  // the bpffs mount (or a directory inside one)
  std::string root;   // <bpffs>/kuma_tproxy_v<N>

  static PinLayout under(const std::string& bpffs) {
    std::string b = bpffs;
    while (b.size() > 1 && b.back() == '/')
      b.pop_back();
    return PinLayout{b, b + "/" + layoutDirName()};
  }
  std::string mapsDir() const { return root + "/maps"; }
  std::string linksDir() const { return root + "/links"; }
  std::string podsDir() const { return root + "/pods"; }
  std::string map(const std::string& name) const { return mapsDir() + "/" + name; }
  std::string link(const std::string& name) const { return linksDir() + "/" + name; }
  std::string podDir(uint64_t cookie) const { return podsDir() + "/" + std::to_string(cookie); }
  std::string podLink(uint64_t cookie) const { return podDir(cookie) + "/" + kSkLookupPin; }
};

}  // namespace kt::backend::ebpf
