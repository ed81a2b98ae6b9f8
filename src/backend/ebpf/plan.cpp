#include "backend/ebpf/plan.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "base/strings.h"
#include "sys/netlink_addr.h"

namespace kt::backend::ebpf {

namespace {

using config::Config;
using config::Facts;

Cidr cidrOf(std::string_view text) {
  return *Cidr::parse(text);  // constants only
}

bool isLinkLocal(const IpAddress& a) {
  if (a.family == Family::kV4) return a.bytes[0] == 169 && a.bytes[1] == 254;
  return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}

// The address redirected connections of family f are bound to: the instance IP, else the first
// global address of the namespace.
std::optional<IpAddress> sourceFor(Family f, const PodFacts& pod) {
  for (const auto& a : pod.instanceIps)
    if (a.family == f) return a;
  for (const auto& l : pod.localAddresses)
    if (l.addr.family == f && !l.onLoopback && !l.addr.isLoopback() && !isLinkLocal(l.addr))
      return l.addr;
  return std::nullopt;
}

bool contains(const Cidr& outer, const Cidr& inner) {
  if (outer.family() != inner.family() || outer.prefix > inner.prefix) return false;
  size_t full = outer.prefix / 8;
  if (std::memcmp(outer.addr.bytes.data(), inner.addr.bytes.data(), full) != 0) return false;
  unsigned rest = outer.prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (outer.addr.bytes[full] & mask) == (inner.addr.bytes[full] & mask);
}

std::string rangesText(const std::vector<PortRange>& ranges) {
  std::vector<std::string> parts;
  for (const auto& r : ranges)
    parts.push_back(r.str());
  return join(parts, ",");
}

uint16_t portSetFor(PodPlan& p, uint16_t id, std::string purpose,
                    const std::vector<PortRange>& ranges) {
  p.portSets.push_back(PortSetPlan{id, std::move(purpose), ranges});
  return id;
}

}  // namespace

std::string cookieText(uint64_t cookie) {
  return cookie == kUnknownNetnsCookie ? std::string("<cookie>") : std::to_string(cookie);
}

kt_port_set portBitmap(const std::vector<PortRange>& ranges) {
  kt_port_set set{};
  for (const auto& r : ranges) {
    for (uint32_t port = r.first; port <= r.last; ++port) {
      set.bits[port / 64] |= uint64_t{1} << (port % 64);
    }
  }
  return set;
}

kt_addr_key addrKey(uint64_t netns, uint32_t gen, const Cidr& cidr) {
  kt_addr_key key{};
  bool v4 = cidr.family() == Family::kV4;
  key.prefixlen = KT_ADDR_PREFIX_BASE + cidr.prefix;
  key.tag = KT_ADDR_TAG(gen, v4 ? KT_FAMILY_V4 : KT_FAMILY_V6);
  key.netns = netns;
  std::memcpy(key.addr, cidr.addr.bytes.data(), v4 ? 4 : 16);
  return key;
}

std::optional<Cidr> cidrOfKey(const kt_addr_key& key) {
  uint32_t family = key.tag & 0xff;
  if (family != KT_FAMILY_V4 && family != KT_FAMILY_V6) return std::nullopt;
  if (key.prefixlen < KT_ADDR_PREFIX_BASE) return std::nullopt;
  Cidr c;
  c.addr.family = family == KT_FAMILY_V4 ? Family::kV4 : Family::kV6;
  uint32_t prefix = key.prefixlen - KT_ADDR_PREFIX_BASE;
  if (prefix > c.addr.size() * 8) return std::nullopt;
  c.prefix = static_cast<uint8_t>(prefix);
  std::memcpy(c.addr.bytes.data(), key.addr, c.addr.size());
  return c;
}

std::vector<AddrPlan> closeAddrFlags(std::vector<AddrPlan> entries) {
  // Sorted by family, address, then prefix length: a prefix precedes everything it contains.
  std::sort(entries.begin(), entries.end(), [](const AddrPlan& a, const AddrPlan& b) {
    if (a.cidr.family() != b.cidr.family()) return a.cidr.family() < b.cidr.family();
    if (a.cidr.addr.bytes != b.cidr.addr.bytes) return a.cidr.addr.bytes < b.cidr.addr.bytes;
    return a.cidr.prefix < b.cidr.prefix;
  });
  std::vector<AddrPlan> merged;
  for (auto& e : entries) {
    if (!merged.empty() && merged.back().cidr == e.cidr) {
      merged.back().flags |= e.flags;
    } else {
      merged.push_back(e);
    }
  }
  // Prefixes nest or are disjoint, so the containing ones form a stack along the sorted order.
  // A prefix that adds no flag to the one containing it is redundant and dropped.
  std::vector<AddrPlan> out;
  std::vector<size_t> stack;  // indexes into out
  for (auto& e : merged) {
    while (!stack.empty() && !contains(out[stack.back()].cidr, e.cidr))
      stack.pop_back();
    if (!stack.empty()) {
      uint32_t inherited = out[stack.back()].flags;
      if ((e.flags | inherited) == inherited) continue;
      e.flags |= inherited;
    }
    out.push_back(e);
    stack.push_back(out.size() - 1);
  }
  return out;
}

Result<PodPlan> planPod(const Config& given, const Facts& facts, const PodFacts& podFacts) {
  std::optional<Config> copy;
  const Config& cfg = config::withNormalizedLists(given, copy, "the eBPF plan");
  PodPlan p;
  p.netnsCookie = podFacts.netnsCookie;
  kt_pod& v = p.pod;
  bool v6 = facts.ipv6 && cfg.inbound.portV6 != 0;

  if (v6) v.flags |= KT_POD_IPV6;
  if (cfg.outbound.enabled) v.flags |= KT_POD_OUTBOUND;
  if (cfg.inbound.enabled) v.flags |= KT_POD_INBOUND;
  v.sidecar_uid = facts.kumaDpUid;
  v.in_ifindex = podFacts.inboundIfindex;
  if (v.in_ifindex == 0) p.inboundIface = podFacts.inboundIface;
  v.outbound_port = cfg.outbound.port;
  v.inbound_port = cfg.inbound.port;
  v.inbound_port6 = v6 ? cfg.inbound.portV6 : cfg.inbound.port;
  v.dns_port = cfg.dns.port;

  // Include lists win over exclude lists, as in the rule backends.
  if (!cfg.outbound.includePorts.empty()) {
    v.flags |= KT_POD_OUT_INCLUDE;
    v.out_port_set = portSetFor(p, kOutboundPortSet, "outbound redirected ports (include list)",
                                cfg.outbound.includePorts);
  } else if (!cfg.outbound.excludePorts.empty()) {
    v.out_port_set =
        portSetFor(p, kOutboundPortSet, "outbound excluded ports", cfg.outbound.excludePorts);
  }
  if (!cfg.inbound.includePorts.empty()) {
    v.flags |= KT_POD_IN_INCLUDE;
    v.in_port_set = portSetFor(p, kInboundPortSet, "inbound steered ports (include list)",
                               cfg.inbound.includePorts);
  } else if (!cfg.inbound.excludePorts.empty()) {
    v.in_port_set =
        portSetFor(p, kInboundPortSet, "inbound excluded ports", cfg.inbound.excludePorts);
  }

  const auto& uidRules = cfg.outbound.excludePortsForUids;
  if (uidRules.size() > KT_MAX_UID_RULES) {
    return Error::config("--exclude-outbound-ports-for-uids: " + std::to_string(uidRules.size()) +
                         " entries, the eBPF backend supports at most " +
                         std::to_string(KT_MAX_UID_RULES) + " per pod")
        .hint("merge uid ranges that share ports and protocols into one entry");
  }
  uint16_t nextSet = kFirstUidPortSet;
  for (const auto& rule : uidRules) {
    kt_uid_rule& r = v.uid_rules[v.n_uid_rules++];
    r.uid_first = rule.uids.first;
    r.uid_last = rule.uids.last;
    for (auto proto : rule.protocols)
      r.protos |= proto == config::Protocol::kTcp ? KT_PROTO_TCP : KT_PROTO_UDP;
    if (!rule.ports.empty()) {
      r.port_set =
          portSetFor(p, nextSet++, "ports excluded for uids " + rule.uids.str(), rule.ports);
    }
  }

  // DNS: per family, capture-all or only the resolv.conf nameservers of that family.
  auto hasServer = [&](Family f) {
    return std::any_of(facts.dnsServers.begin(), facts.dnsServers.end(),
                       [f](const IpAddress& a) { return a.family == f; });
  };
  if (cfg.dns.enabled) {
    if (cfg.dns.captureAll) v.flags |= KT_POD_DNS_ALL;
    if (cfg.dns.captureAll || hasServer(Family::kV4)) v.flags |= KT_POD_DNS_V4;
    if (v6 && (cfg.dns.captureAll || hasServer(Family::kV6))) v.flags |= KT_POD_DNS_V6;
  }

  if (auto s = sourceFor(Family::kV4, podFacts)) {
    v.flags |= KT_POD_BIND_SRC4;
    std::memcpy(&v.src4, s->bytes.data(), 4);
  }
  if (auto s = sourceFor(Family::kV6, podFacts); s && v6) {
    v.flags |= KT_POD_BIND_SRC6;
    std::memcpy(v.src6, s->bytes.data(), 16);
  }

  std::vector<AddrPlan> addrs;
  addrs.push_back({cidrOf("127.0.0.0/8"), KT_ADDR_LOCAL});
  addrs.push_back({cidrOf("::1/128"), KT_ADDR_LOCAL});
  // Envoy's IPv6 inbound passthrough source, which kuma-init puts on lo.
  addrs.push_back({sys::passthroughV6(), KT_ADDR_LOCAL});
  for (const auto& l : podFacts.localAddresses)
    addrs.push_back({Cidr::host(l.addr), KT_ADDR_LOCAL});
  for (const auto& a : podFacts.instanceIps)
    addrs.push_back({Cidr::host(a), KT_ADDR_LOCAL});
  for (const auto& c : cfg.outbound.excludeIps)
    addrs.push_back({c, KT_ADDR_EXCLUDE_OUT});
  for (const auto& c : cfg.inbound.excludeIps)
    addrs.push_back({c, KT_ADDR_EXCLUDE_IN});
  if (cfg.dns.enabled && !cfg.dns.captureAll) {
    for (const auto& a : facts.dnsServers)
      addrs.push_back({Cidr::host(a), KT_ADDR_DNS});
  }
  p.addrs = closeAddrFlags(std::move(addrs));

  if (cfg.dropInvalidPackets)
    p.warnings.push_back("--drop-invalid-packets has no effect with the eBPF backend");
  if (cfg.logs) p.warnings.push_back("--iptables-logs has no effect with the eBPF backend");
  return p;
}

std::string describeAddrFlags(uint32_t flags) {
  std::vector<std::string> parts;
  if (flags & KT_ADDR_EXCLUDE_OUT) parts.push_back("exclude-outbound");
  if (flags & KT_ADDR_EXCLUDE_IN) parts.push_back("exclude-inbound");
  if (flags & KT_ADDR_DNS) parts.push_back("dns-server");
  if (flags & KT_ADDR_LOCAL) parts.push_back("local");
  return parts.empty() ? "none" : join(parts, ",");
}

std::vector<std::string> describePlan(const PodPlan& plan) {
  const kt_pod& v = plan.pod;
  std::vector<std::string> out;
  std::map<uint16_t, const PortSetPlan*> sets;
  for (const auto& s : plan.portSets)
    sets[s.id] = &s;
  auto setText = [&](uint16_t id) {
    auto it = sets.find(id);
    return it == sets.end() ? std::string("?") : rangesText(it->second->ranges);
  };
  auto addr4 = [](uint32_t net) {
    IpAddress a;
    std::memcpy(a.bytes.data(), &net, 4);
    return a.str();
  };
  auto addr6 = [](const uint32_t* net) {
    IpAddress a;
    a.family = Family::kV6;
    std::memcpy(a.bytes.data(), net, 16);
    return a.str();
  };

  out.push_back("netns cookie " + cookieText(plan.netnsCookie));
  out.push_back("sidecar uid " + std::to_string(v.sidecar_uid));
  out.push_back(std::string("IPv6 ") +
                ((v.flags & KT_POD_IPV6) ? "intercepted" : "not intercepted"));

  if (v.flags & KT_POD_OUTBOUND) {
    std::string line = "outbound TCP -> port " + std::to_string(v.outbound_port);
    if (v.flags & KT_POD_OUT_INCLUDE) {
      line += ", only ports " + setText(v.out_port_set);
    } else if (v.out_port_set) {
      line += ", except ports " + setText(v.out_port_set);
    }
    std::vector<std::string> src;
    if (v.flags & KT_POD_BIND_SRC4) src.push_back(addr4(v.src4));
    if (v.flags & KT_POD_BIND_SRC6) src.push_back(addr6(v.src6));
    if (!src.empty()) line += ", source " + join(src, " / ");
    out.push_back(line);
  } else {
    out.push_back("outbound TCP not redirected");
  }

  if (v.flags & KT_POD_INBOUND) {
    std::string line = "inbound TCP -> port " + std::to_string(v.inbound_port);
    if ((v.flags & KT_POD_IPV6) && v.inbound_port6 != v.inbound_port)
      line += " (IPv6 " + std::to_string(v.inbound_port6) + ")";
    if (v.flags & KT_POD_IN_INCLUDE) {
      line += ", only ports " + setText(v.in_port_set);
    } else if (v.in_port_set) {
      line += ", except ports " + setText(v.in_port_set);
    }
    if (v.in_ifindex) {
      line += ", arriving on ifindex " + std::to_string(v.in_ifindex);
    } else if (!plan.inboundIface.empty()) {
      line += ", arriving on " + plan.inboundIface;
    } else {
      line += ", arriving on any interface but loopback";
    }
    out.push_back(line);
  } else {
    out.push_back("inbound TCP not steered");
  }

  if (v.flags & (KT_POD_DNS_V4 | KT_POD_DNS_V6)) {
    std::vector<std::string> fams;
    if (v.flags & KT_POD_DNS_V4) fams.push_back("IPv4");
    if (v.flags & KT_POD_DNS_V6) fams.push_back("IPv6");
    std::string line =
        "DNS UDP/53 (" + join(fams, ", ") + ") -> port " + std::to_string(v.dns_port);
    line += (v.flags & KT_POD_DNS_ALL) ? ", any resolver" : ", resolv.conf servers only";
    out.push_back(line);
  } else {
    out.push_back("DNS not redirected");
  }

  for (uint32_t i = 0; i < v.n_uid_rules; ++i) {
    const kt_uid_rule& r = v.uid_rules[i];
    std::vector<std::string> protos;
    if (r.protos & KT_PROTO_TCP) protos.push_back("tcp");
    if (r.protos & KT_PROTO_UDP) protos.push_back("udp");
    UidRange uids{r.uid_first, r.uid_last};
    out.push_back("uid exclusion " + join(protos, ",") + " ports " +
                  (r.port_set ? setText(r.port_set) : std::string("all")) + " uids " + uids.str());
  }
  for (const auto& a : plan.addrs)
    out.push_back("address " + a.cidr.str() + " " + describeAddrFlags(a.flags));
  return out;
}

}  // namespace kt::backend::ebpf
