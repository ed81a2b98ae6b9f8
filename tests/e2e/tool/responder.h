// The serving side of the kt-e2e tool: the fake sidecar (kuma-dp) and the plain server.
//
// Both listen on every configured TCP port on IPv4 (0.0.0.0) and IPv6 ([::], V6ONLY) and, for
// each accepted connection, write one line and close:
//   sidecar port=15001 orig=10.0.0.2:8080 peer=10.0.0.1:41234
//   server port=8080 from=10.0.0.1:41234 name=peer
// The sidecar recovers `orig` with getsockopt(SOL_IP, SO_ORIGINAL_DST) or, on IPv6 sockets,
// getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST); `orig=none` when the kernel has no original
// destination (the connection was not redirected).
// The DNS port (UDP and TCP, both families) answers every query with a fixed A / AAAA record that
// identifies the responder. UDP answers leave from the address the query arrived at (IP_PKTINFO),
// which is what lets conntrack translate a redirected reply back to the resolver's address.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/net.h"
#include "base/result.h"

namespace kt::e2e {

struct ResponderOptions {
  enum class Role { kSidecar, kServer };
  Role role = Role::kServer;
  std::string name;                // server only: printed as name=...
  std::vector<uint16_t> tcpPorts;  // line-reply ports
  uint16_t dnsPort = 0;            // 0 = no DNS
  std::optional<IpAddress> dnsA;
  std::optional<IpAddress> dnsAaaa;
  // Exit after this long even if nobody stops us, so a crashed harness leaves nothing behind.
  std::chrono::seconds lifetime{600};
};

// Opens every socket, calls `ready` (which prints the ready line), then serves until SIGTERM or
// SIGINT (returns ok) or the lifetime ends (returns ok after a warning). The caller has placed
// the process and chosen whether sockets are created before or after dropping privileges.
Status runResponder(const ResponderOptions& opt, const std::function<Status()>& afterBind);

}  // namespace kt::e2e
