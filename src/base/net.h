// Value types for addresses, prefixes, ports and uids, with strict parsers.
//
// Parsers return an Error of kind kConfig whose message names only the bad value; the caller adds
// the source (flag, annotation, file:line). No kernel I/O here.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kt {

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

inline const char* familyName(Family f) {
  return f == Family::kV4 ? "IPv4" : "IPv6";
}

struct IpAddress {
  Family family = Family::kV4;
  // Network byte order; IPv4 uses the first 4 bytes, the rest are zero.
  std::array<uint8_t, 16> bytes{};

  static Result<IpAddress> parse(std::string_view text);
  static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  size_t size() const { return family == Family::kV4 ? 4 : 16; }
  bool isLoopback() const;
  std::string str() const;
  auto operator<=>(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress addr;  // host bits are zeroed by parse()
  uint8_t prefix = 32;

  // Accepts "10.0.0.1", "10.0.0.0/8", "fe80::1", "fe80::/10". Host bits set in a prefix
  // ("10.0.0.1/8") are cleared, as iptables does.
  static Result<Cidr> parse(std::string_view text);
  static Cidr host(const IpAddress& a) { return {a, static_cast<uint8_t>(a.size() * 8)}; }
  Family family() const { return addr.family; }
  bool isHost() const { return prefix == addr.size() * 8; }
  // "10.0.0.1/32" style, always with the prefix (what iptables-save prints).
  std::string str() const;
  // The last address covered by the prefix (for nft interval elements).
  IpAddress last() const;
  auto operator<=>(const Cidr&) const = default;
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;

  // "80" or "8000-9000" (first <= last, each 1..65535; 0 is accepted only if allowZero).
  static Result<PortRange> parse(std::string_view text, bool allowZero = false);
  bool single() const { return first == last; }
  // "80" or "8000-9000"; iptables renderers swap '-' for ':' themselves.
  std::string str() const;
  auto operator<=>(const PortRange&) const = default;
};

struct UidRange {
  uint32_t first = 0;
  uint32_t last = 0;
  static Result<UidRange> parse(std::string_view text);
  bool single() const { return first == last; }
  std::string str() const;  // "5678" or "1000-1005"
  auto operator<=>(const UidRange&) const = default;
};

// Parses one decimal port 1..65535 (0 allowed when allowZero). Message: "'x' is not a valid
// port (1-65535)".
Result<uint16_t> parsePort(std::string_view text, bool allowZero = false);

// Sorts ranges and merges overlapping or adjacent ones: {80, 81, 79-80, 443} -> {79-81, 443}.
std::vector<PortRange> normalizePorts(std::vector<PortRange> ports);
// Sorts prefixes and drops those covered by another prefix of the list.
std::vector<Cidr> normalizeCidrs(std::vector<Cidr> cidrs);

// Whether a list is already what normalizePorts / normalizeCidrs return for it (one linear pass,
// no copy): the check downstream code makes instead of normalizing again.
bool isNormalized(const std::vector<PortRange>& ports);
bool isNormalized(const std::vector<Cidr>& cidrs);

}  // namespace kt
