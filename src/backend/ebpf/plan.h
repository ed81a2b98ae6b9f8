// The eBPF plan of one pod: Config + Facts + what the pod's namespace looks like -> the values the
// programs read (the kt_pods entry, port bitmaps, address prefixes). Pure: no kernel I/O, so
// dry-run, verify and the unit tests use exactly what install writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/ebpf/host.h"
#include "backend/ebpf/layout.h"
#include "base/net.h"
#include "base/result.h"
#include "config/config.h"
#include "config/facts.h"

namespace kt::backend::ebpf {

// The cookie of a namespace that was not probed (dry-run). The kernel's cookies start at 1.
inline constexpr uint64_t kUnknownNetnsCookie = 0;

// A cookie as the plan prints it: the number, or "<cookie>" when unknown.
std::string cookieText(uint64_t cookie);

// What the plan needs to know about the pod's network namespace (gathered by host.h; a dry-run
// gathers nothing and fills in only what the configuration says).
struct PodFacts {
  uint64_t netnsCookie = kUnknownNetnsCookie;
  // Every address on the namespace's interfaces, in interface order (loopback's included).
  std::vector<LocalAddress> localAddresses;
  // Config::ebpf.instanceIps: the pod's addresses (at most one per family).
  std::vector<IpAddress> instanceIps;
  // --ebpf-tc-attach-iface resolved in the namespace; 0 = every interface but loopback, or not
  // resolved (dry-run) when inboundIface is set.
  uint32_t inboundIfindex = 0;
  std::string inboundIface;
};

// Port-set ids in kt_pod (0 = none).
inline constexpr uint16_t kOutboundPortSet = 1;
inline constexpr uint16_t kInboundPortSet = 2;
inline constexpr uint16_t kFirstUidPortSet = 3;

struct PortSetPlan {
  uint16_t id = 0;
  std::string purpose;  // "outbound excluded ports", ...
  std::vector<PortRange> ranges;
  bool operator==(const PortSetPlan&) const = default;
};

struct AddrPlan {
  Cidr cidr;
  uint32_t flags = 0;  // KT_ADDR_*, already including the flags of every containing prefix
  bool operator==(const AddrPlan&) const = default;
};

struct PodPlan {
  uint64_t netnsCookie = kUnknownNetnsCookie;
  kt_pod pod{};  // gen is 0 here; install sets it
  // PodFacts::inboundIface when its index is not known (dry-run): described by name.
  std::string inboundIface;
  std::vector<PortSetPlan> portSets;
  std::vector<AddrPlan> addrs;        // sorted: IPv4 first, then by address and prefix length
  std::vector<std::string> warnings;  // settings that have no effect with eBPF
};

// Builds the plan from a Config whose lists are normalized (config.h): port sets keep their
// order. kConfig errors name the setting that the eBPF backend cannot express (e.g.
// more than KT_MAX_UID_RULES uid exclusions).
Result<PodPlan> planPod(const config::Config& cfg, const config::Facts& facts, const PodFacts& pod);

// The bitmap of a port set as the programs read it.
kt_port_set portBitmap(const std::vector<PortRange>& ranges);

// The trie key of a prefix of pod `netns` in generation `gen`.
kt_addr_key addrKey(uint64_t netns, uint32_t gen, const Cidr& cidr);
// The prefix a trie key stands for (inverse of addrKey; nullopt for a malformed key).
std::optional<Cidr> cidrOfKey(const kt_addr_key& key);

// Readable lines for dry-run and verify: "outbound: redirect TCP to 15001, ...".
std::vector<std::string> describePlan(const PodPlan& plan);
std::string describeAddrFlags(uint32_t flags);

// Unions each prefix's flags with those of every prefix of the list that contains it (see
// kt_addrs in tproxy_shared.h), merges duplicates and drops prefixes that add no flag to the
// prefix containing them. Sorted output; O(n log n).
std::vector<AddrPlan> closeAddrFlags(std::vector<AddrPlan> entries);

}  // namespace kt::backend::ebpf
