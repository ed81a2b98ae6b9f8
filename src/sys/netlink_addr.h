// Interface addresses over rtnetlink (libmnl): list them, find the loopback interface, add one.
//
// Used by the rule backends to decide whether IPv6 rules go in (the namespace has an IPv6
// address on an interface other than loopback) and to add ::6/128 to loopback, the source
// address Envoy's inbound passthrough binds to. Runs in the caller's network namespace.
#pragma once

#include <cstdint>
#include <optional>
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

// What a backend needs before it installs: the loopback interface and, when `family` is given,
// whether an interface other than loopback has an address of that family (as
// hasNonLoopbackAddress). One rtnetlink socket, one link dump and at most one address dump.
struct InterfaceSummary {
  std::string loopback;  // the first interface with IFF_LOOPBACK; empty when there is none
  uint32_t loopbackIndex = 0;
  bool nonLoopbackAddress = false;  // only meaningful when a family was asked for
};
Result<InterfaceSummary> summarizeInterfaces(std::optional<Family> family);

// Adds `cidr` to interface `ifname`. An identical address already present is success.
Status addAddress(const std::string& ifname, const Cidr& cidr);
// The same for an interface whose index is known (`ifname` only names it in errors).
Status addAddress(uint32_t ifindex, const std::string& ifname, const Cidr& cidr);

}  // namespace kt::sys
