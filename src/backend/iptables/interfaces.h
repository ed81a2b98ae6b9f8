// The interface facts the iptables backend needs, and the ::6 passthrough address on loopback.
#pragma once

#include <string>

#include "base/result.h"

namespace kt::backend::iptables {

struct InterfaceFacts {
  std::string loopback = "lo";   // the first interface with the LOOPBACK flag
  bool nonLoopbackIpv6 = false;  // an IPv6 address (link-local counts) on a non-loopback link
};

// Reads the current network namespace's interfaces and addresses (getifaddrs, netlink).
Result<InterfaceFacts> readInterfaces();

// Adds ::6/128 to `iface` (Envoy's IPv6 inbound passthrough source must be a local address).
// Returns true when it was added, false when it was already there.
Result<bool> addPassthroughV6(const std::string& iface);
// Removes ::6/128 from `iface` (undoing addPassthroughV6 after a failed install).
Status removePassthroughV6(const std::string& iface);

}  // namespace kt::backend::iptables
