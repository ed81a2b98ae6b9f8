// Decides one packet from an eBPF PodPlan the way the programs read the plan once it is in the
// maps: the connect/sendmsg hooks (bpf/sock_addr.bpf.c: kt_tcp_connect, kt_udp_dns) for outbound
// packets and the pod's sk_lookup program (bpf/sk_lookup.bpf.c) for arriving ones. Port sets are
// read as the bitmaps the loader writes (portBitmap), addresses by longest-prefix match over the
// plan's kt_addrs entries (whose flags the plan has already closed over containing prefixes), uid
// exclusions as kt_uid_excluded walks kt_pod.uid_rules.
//
// What the programs learn at run time rather than from the plan is an input: the TCP ports the
// sidecar listens on (kt_listeners). Each step names the check of the program it mirrors; keep
// them in the programs' order.
#pragma once

#include <map>
#include <set>
#include <string>

#include "backend/ebpf/plan.h"
#include "packet.h"

namespace kt::parity {

// The grid's pod has two interfaces: lo (ifindex 1 in every namespace) and eth0.
inline constexpr uint32_t kEth0Ifindex = 2;
uint32_t ifindexOf(const std::string& iface);

class EbpfDecider {
 public:
  // `listeners`: the TCP ports of the sidecar's listening sockets (any family).
  EbpfDecider(const backend::ebpf::PodPlan& plan, std::set<uint16_t> listeners);

  Verdict decide(const Packet& packet) const;

 private:
  bool portInSet(uint16_t id, uint16_t port) const;
  uint32_t addrFlags(const IpAddress& a) const;
  bool uidExcluded(uint32_t uid, uint32_t proto, uint16_t port) const;
  Verdict outboundTcp(const Packet& p) const;
  Verdict outboundUdp(const Packet& p) const;
  Verdict inbound(const Packet& p) const;

  const backend::ebpf::PodPlan& plan_;
  std::set<uint16_t> listeners_;
  std::map<uint16_t, kt_port_set> sets_;  // kt_port_sets entries by id
};

}  // namespace kt::parity
