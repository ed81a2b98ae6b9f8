// Traffic endpoints for the eBPF backend tests, each in its own process (support/env.h):
//   sidecar  the fake kuma-dp: TCP listeners that answer with the listener port and the original
//            destination from getsockopt(SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST), and a UDP
//            "DNS proxy" answering every datagram with "dns-proxy".
//   server   a plain TCP server answering "<tag> port=<local port>"; optional UDP responder.
//   clients  one TCP connect or one UDP query, reporting what came back and from where.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/env.h"

namespace kt::ebpftest {

struct Listen {
  Family family;
  uint16_t port;
};

// TCP: replies "sidecar port=<listener port> orig=<endpoint> peer=<endpoint>\n" and closes.
// UDP: on 127.0.0.1:dnsPort and [::1]:dnsPort replies "dns-proxy". dnsPort 0 = none.
Result<std::unique_ptr<Proc>> startSidecar(const Place& place, const std::vector<Listen>& tcp,
                                           uint16_t dnsPort);

// TCP on the wildcard address of each family: replies "<tag> port=<port> from=<endpoint>\n".
// UDP `udpPorts`: replies "<tag>-udp".
Result<std::unique_ptr<Proc>> startServer(const Place& place, const std::string& tag,
                                          const std::vector<Listen>& tcp,
                                          const std::vector<Listen>& udp = {});

struct TcpResult {
  bool connected = false;
  std::string error;  // strerror of connect, or "timeout"
  std::string reply;  // first line from the server
  std::string peer;   // getpeername() of the client socket after connect
  std::string local;  // getsockname()

  std::string describe() const;
};

struct TcpOptions {
  std::optional<IpAddress> bind;  // source address to bind before connect
  bool v6Socket = false;          // AF_INET6 socket even for an IPv4 destination (mapped)
};

// Connects to dst:port from `place` and reads one line (3 s timeouts).
TcpResult tcpConnect(const Place& place, const IpAddress& dst, uint16_t port,
                     const TcpOptions& opt = {});

struct UdpResult {
  std::string error;
  std::string reply;
  std::string from;  // the source of the reply as recvfrom() reports it
  std::string peer;  // getpeername() for connected sockets
  std::string describe() const;
};

// Sends "query" to dst:port (sendto, or connect + send when `connected`) and waits 2 s for one
// reply.
UdpResult udpQuery(const Place& place, const IpAddress& dst, uint16_t port, bool connected);

}  // namespace kt::ebpftest
