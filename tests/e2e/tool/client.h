// The client side of the kt-e2e tool: one TCP connection that reads the reply line, and one DNS
// query over UDP. Each returns an Outcome whose exit code the harness reads (see kt-e2e --help).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/result.h"
#include "tool/endpoint.h"

namespace kt::e2e {

// Exit codes of `connect` and `dns`, shared with the harness (harness/tool.h).
enum ExitCode : int {
  kExitReply = 0,        // a reply line (or DNS answer) was printed
  kExitError = 1,        // usage or unexpected error (message on stderr)
  kExitRefused = 2,      // connection refused (RST, or ICMP port unreachable)
  kExitTimeout = 3,      // nothing within the timeout
  kExitNoReply = 4,      // connected, but the peer closed without a line
  kExitUnreachable = 5,  // no route / host unreachable
};

struct ConnectOptions {
  Endpoint to;
  std::optional<IpAddress> bindAddr;  // e.g. 127.0.0.6, the sidecar's passthrough source
  std::chrono::milliseconds timeout{3000};
};

struct DnsOptions {
  Endpoint to;
  std::string name = "kuma-e2e.test";
  uint16_t qtype = 1;      // A
  bool connected = false;  // connect() the UDP socket first, as glibc's resolver does
  std::chrono::milliseconds timeout{3000};
};

struct Outcome {
  int exitCode = kExitError;
  std::string line;  // printed on stdout when exitCode == kExitReply
};

// Connects, reads one line. Errors (kExitError) are reported on stderr by the caller.
Result<Outcome> runConnect(const ConnectOptions& opt);

// Sends one query, waits for the matching answer. Prints "dns answer=ADDR from=ENDPOINT" (ADDR is
// "none" for an empty answer), where ENDPOINT is the address the answer came from.
Result<Outcome> runDns(const DnsOptions& opt);

}  // namespace kt::e2e
