// Interface addresses over rtnetlink (libmnl): list them, find the loopback interface, add one.
//
// Used by the rule backends to decide whether IPv6 rules go in (the namespace has an IPv6
// address on an interface other than loopback) and to add ::6/128 to loopback, the source
// address Envoy's inbound passthrough binds to. Runs in the caller's network namespace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/net.h"
#include "base/result.h"

namespace kt::sys {

struct InterfaceAddress {
  uint32_t ifindex = 0;
  std::string ifname;
  bool loopback = false;  // the interface has IFF_LOOPBACK
  Cidr cidr;
};

// Every address of `family` with its interface (two rtnetlink dumps: links, addresses).
Result<std::vector<InterfaceAddress>> listAddresses(Family family);

// True when an interface other than a loopback one has an address of `family`; link-local
// addresses count (what Kuma checks before it installs IPv6 rules).
Result<bool> hasNonLoopbackAddress(Family family);

// The name of the first interface with IFF_LOOPBACK (normally "lo"); kNotFound if none.
Result<std::string> loopbackInterface();

// Adds `cidr` to interface `ifname`. An identical address already present is success.
Status addAddress(const std::string& ifname, const Cidr& cidr);

}  // namespace kt::sys
