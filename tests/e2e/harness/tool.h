// Typed wrappers over the kt-e2e helper program: start the fake sidecar and servers, make one
// connection or DNS query, and parse what came back into a Reply the tests can assert on.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "harness/process.h"
#include "place/placement.h"
#include "tool/endpoint.h"

namespace kt::e2e {

// Paths of the built programs (set by CMake; overridable with $KT_E2E_TOOL / $KT_TPROXY_BIN).
std::string toolPath();
std::string tproxyPath();

// kt-e2e's global options for a placement: --cgroup, --netns, --uid, --gid.
std::vector<std::string> placementArgs(const Placement& where);

struct SidecarPorts {
  uint16_t outbound = 15001;
  uint16_t inbound = 15006;
  uint16_t inboundV6 = 15010;
  uint16_t dns = 15053;
};

Result<std::unique_ptr<Process>> startSidecar(const Placement& where, const SidecarPorts& ports);

// A server replying "server port=P from=... name=NAME" on each TCP port, and answering DNS on
// dnsPort (0 = none).
Result<std::unique_ptr<Process>> startServer(const Placement& where, const std::string& name,
                                             const std::vector<uint16_t>& tcpPorts,
                                             uint16_t dnsPort = 0);

// What one connection or query ended with.
struct Reply {
  enum class Status { kReply, kRefused, kTimeout, kNoReply, kUnreachable };
  Status status = Status::kTimeout;
  std::string line;                           // the reply line (kReply only)
  std::string role;                           // first word: "sidecar", "server" or "dns"
  std::map<std::string, std::string> fields;  // key=value words of the line
  std::string command;                        // the kt-e2e command line, for messages

  std::string field(const std::string& key) const;  // "" when absent
  // "sidecar port=15001 ... (from: kt-e2e ...)" or "refused (from: ...)".
  std::string describe() const;
};

struct ConnectFromOptions {
  std::optional<IpAddress> bind;
  std::chrono::milliseconds timeout{2000};
};

// One TCP connection from `where` to `to`. Errors only when kt-e2e itself failed.
Result<Reply> connectFrom(const Placement& where, const Endpoint& to,
                          const ConnectFromOptions& opt = {});

struct DnsQueryOptions {
  bool aaaa = false;       // query type AAAA instead of A
  bool connected = false;  // connected UDP socket (glibc style)
  std::chrono::milliseconds timeout{2000};
};

// One DNS query over UDP from `where` to `server`; the reply line is
// "dns answer=ADDR from=ENDPOINT".
Result<Reply> queryDnsFrom(const Placement& where, const Endpoint& server,
                           const DnsQueryOptions& opt = {});

}  // namespace kt::e2e
