// The largest exclusion lists the config stage accepts, for the backends' install / verify /
// uninstall tests.
#pragma once

#include <cstdint>
#include <string>

#include "base/net.h"
#include "config/config.h"

namespace kt::testing {

// Adds to `cfg` exclusion lists as long and as distinct as the config stage accepts: outbound
// every even port, inbound every odd port (32767 and 32768 one-port ranges, none adjacent), and
// 5000 IPv4 plus 5000 IPv6 addresses per direction (outbound 10.1.x.y / fd00::1:n, inbound
// 10.2.x.y / fd00::2:n; the last IPv4 address is 10.1.19.135).
inline void addLargestExclusionLists(config::Config& cfg) {
  for (int p = 2; p <= 65534; p += 2)
    cfg.outbound.excludePorts.push_back({static_cast<uint16_t>(p), static_cast<uint16_t>(p)});
  for (int p = 1; p <= 65535; p += 2)
    cfg.inbound.excludePorts.push_back({static_cast<uint16_t>(p), static_cast<uint16_t>(p)});
  for (int i = 0; i < 5000; ++i) {
    const std::string a = std::to_string(i / 256) + "." + std::to_string(i % 256);
    cfg.outbound.excludeIps.push_back(*Cidr::parse("10.1." + a));
    cfg.outbound.excludeIps.push_back(*Cidr::parse("fd00::1:" + std::to_string(i)));
    cfg.inbound.excludeIps.push_back(*Cidr::parse("10.2." + a));
    cfg.inbound.excludeIps.push_back(*Cidr::parse("fd00::2:" + std::to_string(i)));
  }
}

}  // namespace kt::testing
