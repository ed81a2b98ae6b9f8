// The first packet of a connection (or a UDP datagram) as both backends see it, and what a
// backend does with it. Shared by the two evaluators of the parity test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/net.h"

namespace kt::parity {

enum class Direction { kOutbound, kInbound };
enum class Proto { kTcp, kUdp };

struct Packet {
  Direction direction = Direction::kOutbound;
  Proto proto = Proto::kTcp;
  // Outbound: the source netfilter sees (the bound address, else the routed one); inbound: the
  // peer's address.
  IpAddress src;
  // Outbound only: the address the application bound before connecting (what the connect hook
  // reads from the socket); nullopt = unbound.
  std::optional<IpAddress> boundSrc;
  IpAddress dst;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t uid = 0;   // outbound only: the socket owner
  std::string iface;  // outbound: the output interface; inbound: the input interface

  Family family() const { return dst.family; }
  std::string str() const;
};

struct Verdict {
  enum class Kind {
    kPass,         // untouched
    kRedirect,     // TCP sent to the sidecar's port `port`
    kDnsRedirect,  // UDP/53 sent to the sidecar's DNS port `port`
    kDrop,         // refused (eBPF: an inbound connection while the sidecar does not listen)
  };
  Kind kind = Kind::kPass;
  uint16_t port = 0;

  static Verdict pass() { return {}; }
  static Verdict redirect(uint16_t p) { return {Kind::kRedirect, p}; }
  static Verdict dns(uint16_t p) { return {Kind::kDnsRedirect, p}; }
  static Verdict drop() { return {Kind::kDrop, 0}; }
  bool operator==(const Verdict&) const = default;
  std::string str() const;
};

// Whether prefix `c` contains address `a` (false across families).
bool inCidr(const Cidr& c, const IpAddress& a);

}  // namespace kt::parity
