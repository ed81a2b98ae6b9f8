#include "packet.h"

#include <cstring>

namespace kt::parity {

bool inCidr(const Cidr& c, const IpAddress& a) {
  if (c.family() != a.family) return false;
  size_t full = c.prefix / 8;
  if (std::memcmp(c.addr.bytes.data(), a.bytes.data(), full) != 0) return false;
  unsigned rest = c.prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (c.addr.bytes[full] & mask) == (a.bytes[full] & mask);
}

std::string Packet::str() const {
  auto endpoint = [](const IpAddress& a, uint16_t port) {
    return (a.family == Family::kV6 ? "[" + a.str() + "]" : a.str()) + ":" + std::to_string(port);
  };
  std::string s = direction == Direction::kOutbound ? "out " : "in ";
  s += proto == Proto::kTcp ? "tcp " : "udp ";
  s += endpoint(src, sport) + " -> " + endpoint(dst, dport);
  if (direction == Direction::kOutbound) {
    s += " uid " + std::to_string(uid) + " oif " + iface;
    s += boundSrc ? " (bound to " + boundSrc->str() + ")" : " (unbound)";
  } else {
    s += " iif " + iface;
  }
  return s;
}

std::string Verdict::str() const {
  switch (kind) {
    case Kind::kPass:
      return "pass";
    case Kind::kRedirect:
      return "redirect to " + std::to_string(port);
    case Kind::kDnsRedirect:
      return "DNS redirect to " + std::to_string(port);
    case Kind::kDrop:
      return "drop";
  }
  return "?";
}

}  // namespace kt::parity
