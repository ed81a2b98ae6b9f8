// Socket addresses for the kt-e2e tool: parsing "10.0.0.2:8080" / "[fd00::2]:8080", printing
// them back in the same form (which the harness parses from reply lines), and the conversions to
// and from struct sockaddr.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/net.h"
#include "base/result.h"

namespace kt::e2e {

struct Endpoint {
  IpAddress addr;
  uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// "ADDR:PORT" for IPv4, "[ADDR]:PORT" for IPv6. Port 0 is accepted (bind to any port).
Result<Endpoint> parseEndpoint(std::string_view text);
std::string formatEndpoint(const Endpoint& ep);

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

SockAddr toSockAddr(const Endpoint& ep);
// IPv4-mapped IPv6 addresses come back as IPv4. kRuntime error for other families.
Result<Endpoint> fromSockAddr(const sockaddr* sa, socklen_t len);

int domainOf(Family f);  // AF_INET / AF_INET6

}  // namespace kt::e2e
