#include "base/net.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/strings.h"

namespace kt {

namespace {

// Strict unsigned decimal: digits only, no sign, no blanks, no overflow.
template <class T>
bool parseDecimal(std::string_view text, T& out) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  if (v > static_cast<uint64_t>(static_cast<T>(-1))) return false;
  out = static_cast<T>(v);
  return true;
}

Error badValue(std::string_view text, const char* what) {
  return Error::config(quoteForMessage(text) + " is not " + what);
}

}  // namespace

IpAddress IpAddress::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = Family::kV4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; reject embedded NULs and anything too long first.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos) {
    return badValue(text, "a valid IP address");
  }
  std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    ip.family = Family::kV4;
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  } else {
    ip.family = Family::kV6;
    if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  }
  return badValue(text, "a valid IP address");
}

bool IpAddress::isLoopback() const {
  if (family == Family::kV4) return bytes[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes[i] != 0) return false;
  return bytes[15] == 1;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::kV4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addrText = text.substr(0, slash);
  auto ip = IpAddress::parse(addrText);
  if (!ip) return badValue(text, "a valid IP address or CIDR");
  Cidr c{*ip, static_cast<uint8_t>(ip->size() * 8)};
  if (slash != std::string_view::npos) {
    uint8_t prefix = 0;
    if (!parseDecimal(text.substr(slash + 1), prefix) || prefix > ip->size() * 8) {
      return badValue(text, "a valid IP address or CIDR");
    }
    c.prefix = prefix;
  }
  for (size_t bit = c.prefix; bit < c.addr.size() * 8; ++bit) {
    c.addr.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return c;
}

std::string Cidr::str() const {
  return addr.str() + "/" + std::to_string(prefix);
}

IpAddress Cidr::last() const {
  IpAddress a = addr;
  for (size_t bit = prefix; bit < a.size() * 8; ++bit) {
    a.bytes[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
  }
  return a;
}

Result<uint16_t> parsePort(std::string_view text, bool allowZero) {
  uint16_t port = 0;
  if (!parseDecimal(text, port) || (port == 0 && !allowZero)) {
    return Error::config(quoteForMessage(text) + " is not a valid port (" +
                         (allowZero ? "0-65535" : "1-65535") + ")");
  }
  return port;
}

Result<PortRange> PortRange::parse(std::string_view text, bool allowZero) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    KT_ASSIGN_OR_RETURN(uint16_t p, parsePort(text, allowZero));
    return PortRange{p, p};
  }
  auto a = parsePort(text.substr(0, dash), allowZero);
  auto b = parsePort(text.substr(dash + 1), allowZero);
  if (!a || !b || *a > *b) {
    return Error::config(quoteForMessage(text) +
                         " is not a valid port range (first-last, each 1-65535, first <= last)");
  }
  return PortRange{*a, *b};
}

std::string PortRange::str() const {
  return single() ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

Result<UidRange> UidRange::parse(std::string_view text) {
  auto dash = text.find('-');
  UidRange r;
  bool ok;
  if (dash == std::string_view::npos) {
    ok = parseDecimal(text, r.first);
    r.last = r.first;
  } else {
    ok = parseDecimal(text.substr(0, dash), r.first) &&
         parseDecimal(text.substr(dash + 1), r.last) && r.first <= r.last;
  }
  if (!ok) return badValue(text, "a valid UID or UID range (uid or first-last)");
  return r;
}

std::string UidRange::str() const {
  return single() ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

std::vector<PortRange> normalizePorts(std::vector<PortRange> ports) {
  std::sort(ports.begin(), ports.end());
  std::vector<PortRange> out;
  for (const auto& r : ports) {
    if (!out.empty() &&
        static_cast<uint32_t>(r.first) <= static_cast<uint32_t>(out.back().last) + 1) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

namespace {

// Family, then address, then shorter prefix first, so a covering prefix precedes the prefixes
// it covers.
bool cidrLess(const Cidr& a, const Cidr& b) {
  if (a.addr.family != b.addr.family) return a.addr.family < b.addr.family;
  // One comparison of the bytes (array's != and < would compare them twice).
  int c = std::memcmp(a.addr.bytes.data(), b.addr.bytes.data(), a.addr.bytes.size());
  if (c != 0) return c < 0;
  return a.prefix < b.prefix;
}

bool covers(const Cidr& outer, const Cidr& inner) {
  return outer.family() == inner.family() && outer.prefix <= inner.prefix &&
         outer.addr.bytes <= inner.addr.bytes && inner.last().bytes <= outer.last().bytes;
}

}  // namespace

std::vector<Cidr> normalizeCidrs(std::vector<Cidr> cidrs) {
  // Lists are often given sorted: checking is linear.
  if (!std::is_sorted(cidrs.begin(), cidrs.end(), cidrLess))
    std::sort(cidrs.begin(), cidrs.end(), cidrLess);
  std::vector<Cidr> out;
  for (const auto& c : cidrs) {
    if (!out.empty() && covers(out.back(), c)) continue;
    out.push_back(c);
  }
  return out;
}

bool isNormalized(const std::vector<PortRange>& ports) {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].first > ports[i].last) return false;
    // Sorted, and neither overlapping nor adjacent to the previous range (those are merged).
    if (i > 0 && static_cast<uint32_t>(ports[i - 1].last) + 1 >= ports[i].first) return false;
  }
  return true;
}

bool isNormalized(const std::vector<Cidr>& cidrs) {
  // In sorted order a prefix covering a later one also covers everything between them, so
  // comparing neighbours finds every covered prefix.
  for (size_t i = 1; i < cidrs.size(); ++i) {
    if (!cidrLess(cidrs[i - 1], cidrs[i]) || covers(cidrs[i - 1], cidrs[i])) return false;
  }
  return true;
}

}  // namespace kt
