#include "ebpf_eval.h"

namespace kt::parity {

namespace {

using backend::ebpf::AddrPlan;

constexpr uint16_t kDnsPort = 53;
constexpr uint32_t kLoopbackIfindex = 1;  // as in bpf/include/tproxy_common.h

IpAddress host(Family f, uint8_t last) {
  IpAddress a;
  a.family = f;
  if (f == Family::kV4) {
    a.bytes[0] = 127;
    a.bytes[3] = last;
  } else {
    a.bytes[15] = last;
  }
  return a;
}

// kt_is_localhost: 127.0.0.1 or ::1 exactly.
bool isLocalhost(const IpAddress& a) {
  return a == host(a.family, 1);
}
// kt_is_passthrough: 127.0.0.6 or ::6 exactly.
bool isPassthrough(const IpAddress& a) {
  return a == host(a.family, 6);
}

}  // namespace

uint32_t ifindexOf(const std::string& iface) {
  return iface == "lo" ? kLoopbackIfindex : kEth0Ifindex;
}

EbpfDecider::EbpfDecider(const backend::ebpf::PodPlan& plan, std::set<uint16_t> listeners)
    : plan_(plan), listeners_(std::move(listeners)) {
  for (const auto& s : plan.portSets)
    sets_[s.id] = backend::ebpf::portBitmap(s.ranges);
}

// kt_port_in_set: absent sets (id 0 or not in the map) are empty.
bool EbpfDecider::portInSet(uint16_t id, uint16_t port) const {
  if (id == 0) return false;
  auto it = sets_.find(id);
  if (it == sets_.end()) return false;
  return (it->second.bits[(port >> 6) & (KT_PORT_SET_WORDS - 1)] >> (port & 63)) & 1;
}

// kt_addr_flags: the flags of the longest prefix containing `a`.
uint32_t EbpfDecider::addrFlags(const IpAddress& a) const {
  const AddrPlan* best = nullptr;
  for (const auto& e : plan_.addrs) {
    if (inCidr(e.cidr, a) && (!best || e.cidr.prefix > best->cidr.prefix)) best = &e;
  }
  return best ? best->flags : 0;
}

// kt_uid_excluded / kt_uid_rule.
bool EbpfDecider::uidExcluded(uint32_t uid, uint32_t proto, uint16_t port) const {
  const kt_pod& pod = plan_.pod;
  for (uint32_t i = 0; i < pod.n_uid_rules && i < KT_MAX_UID_RULES; ++i) {
    const kt_uid_rule& r = pod.uid_rules[i];
    if (uid < r.uid_first || uid > r.uid_last || !(r.protos & proto)) continue;
    if (!r.port_set || portInSet(r.port_set, port)) return true;
  }
  return false;
}

Verdict EbpfDecider::decide(const Packet& p) const {
  const kt_pod& pod = plan_.pod;
  if (p.direction == Direction::kInbound) return inbound(p);
  // kt_begin: IPv6 destinations only with KT_POD_IPV6.
  if (p.family() == Family::kV6 && !(pod.flags & KT_POD_IPV6)) return Verdict::pass();
  return p.proto == Proto::kTcp ? outboundTcp(p) : outboundUdp(p);
}

// kt_tcp_connect.
Verdict EbpfDecider::outboundTcp(const Packet& p) const {
  const kt_pod& pod = plan_.pod;
  bool sidecar = p.uid == pod.sidecar_uid;
  bool dns = pod.flags & (p.family() == Family::kV4 ? KT_POD_DNS_V4 : KT_POD_DNS_V6);
  // output/exclude-ports-for-uids
  if (pod.n_uid_rules && uidExcluded(p.uid, KT_PROTO_TCP, p.dport)) return Verdict::pass();
  // output/exclude-ips
  uint32_t aflags = addrFlags(p.dst);
  if (aflags & KT_ADDR_EXCLUDE_OUT) return Verdict::pass();
  // output/dns/tcp-return
  if (p.dport == kDnsPort && !sidecar && dns) return Verdict::pass();
  // outbound/disabled
  if (!(pod.flags & KT_POD_OUTBOUND)) return Verdict::pass();
  // outbound/exclude-ports
  if (!(pod.flags & KT_POD_OUT_INCLUDE) && portInSet(pod.out_port_set, p.dport))
    return Verdict::pass();
  if (aflags & KT_ADDR_LOCAL) {
    // outbound/inbound-passthrough: the bound source (kt_bound_src; unbound reads as 0)
    if (p.boundSrc && isPassthrough(*p.boundSrc)) return Verdict::pass();
    // ... and an unbound connect to ::6, whose source the kernel makes ::6 itself
    if (!p.boundSrc && p.family() == Family::kV6 && isPassthrough(p.dst)) return Verdict::pass();
    // outbound/sidecar-to-self-as-inbound
    if (sidecar && (pod.flags & KT_POD_INBOUND) && !isLocalhost(p.dst)) {
      return Verdict::redirect(p.family() == Family::kV4 ? pod.inbound_port : pod.inbound_port6);
    }
    // outbound/app-loopback
    if (!sidecar) return Verdict::pass();
  }
  // outbound/sidecar, outbound/localhost
  if (sidecar || isLocalhost(p.dst)) return Verdict::pass();
  // outbound/include-ports
  if ((pod.flags & KT_POD_OUT_INCLUDE) && !portInSet(pod.out_port_set, p.dport))
    return Verdict::pass();
  // outbound-redirect
  return Verdict::redirect(pod.outbound_port);
}

// kt_udp_dns (connect of a UDP socket and sendmsg decide alike).
Verdict EbpfDecider::outboundUdp(const Packet& p) const {
  const kt_pod& pod = plan_.pod;
  bool dns = pod.flags & (p.family() == Family::kV4 ? KT_POD_DNS_V4 : KT_POD_DNS_V6);
  if (p.dport != kDnsPort || !dns) return Verdict::pass();
  if (pod.n_uid_rules && uidExcluded(p.uid, KT_PROTO_UDP, p.dport)) return Verdict::pass();
  uint32_t aflags = addrFlags(p.dst);
  if (aflags & KT_ADDR_EXCLUDE_OUT) return Verdict::pass();
  // output/dns/sidecar-return
  if (p.uid == pod.sidecar_uid) return Verdict::pass();
  // output/dns/redirect
  if (!(pod.flags & KT_POD_DNS_ALL) && !(aflags & KT_ADDR_DNS)) return Verdict::pass();
  return Verdict::dns(pod.dns_port);
}

// kt_sk_lookup.
Verdict EbpfDecider::inbound(const Packet& p) const {
  const kt_pod& pod = plan_.pod;
  if (p.proto != Proto::kTcp) return Verdict::pass();
  if (!(pod.flags & KT_POD_INBOUND)) return Verdict::pass();
  uint32_t ifindex = ifindexOf(p.iface);
  if (ifindex == kLoopbackIfindex) return Verdict::pass();
  if (pod.in_ifindex && ifindex != pod.in_ifindex) return Verdict::pass();
  uint16_t target = pod.inbound_port;
  if (p.family() == Family::kV6) {
    if (!(pod.flags & KT_POD_IPV6)) return Verdict::pass();
    target = pod.inbound_port6;
  }
  uint32_t aflags = addrFlags(p.src);
  if (aflags & KT_ADDR_LOCAL) return Verdict::pass();
  // The sidecar's own listeners get their traffic directly.
  if (listeners_.count(p.dport)) return Verdict::pass();
  // inbound/include-ports, inbound/exclude-ports
  if (pod.flags & KT_POD_IN_INCLUDE) {
    if (!portInSet(pod.in_port_set, p.dport)) return Verdict::pass();
  } else if (portInSet(pod.in_port_set, p.dport)) {
    return Verdict::pass();
  }
  // inbound/exclude-ips
  if (aflags & KT_ADDR_EXCLUDE_IN) return Verdict::pass();
  // bpf_sk_assign to the inbound listener; without one the SYN is dropped
  if (!listeners_.count(target)) return Verdict::drop();
  return Verdict::redirect(target);
}

}  // namespace kt::parity
