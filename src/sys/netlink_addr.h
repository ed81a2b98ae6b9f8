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
  uint8_t proto = 0;  // IFA_PROTO: who added the address (0 = unknown / not recorded)
};

// The IFA_PROTO value (Linux 6.1+; 0-3 are the kernel's) that addAddress() stores on the
// addresses it adds: how uninstall tells the ::6/128 it added from one that was there before.
// Older kernels ignore the attribute; the address then reads back as not ours and is kept.
inline constexpr uint8_t kOurAddressProto = 0x6b;

// Every address of `family` with its interface (two rtnetlink dumps: links, addresses).
Result<std::vector<InterfaceAddress>> listAddresses(Family family);

// Every IPv4 address, then every IPv6 address, each family in the kernel's (interface) order,
// over one rtnetlink socket: the pod's own addresses as the eBPF plan counts them local.
Result<std::vector<InterfaceAddress>> listAllAddresses();

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

// Adds `cidr` to interface `ifname`, marked with kOurAddressProto. An identical address already
// present is success (and keeps its own mark).
Status addAddress(const std::string& ifname, const Cidr& cidr);
// The same for an interface whose index is known (`ifname` only names it in errors). Returns
// true when the address was added, false when it was there already.
Result<bool> addAddress(uint32_t ifindex, const std::string& ifname, const Cidr& cidr);

// ::6/128, the source address Envoy's IPv6 inbound passthrough binds to: every backend adds it
// to loopback when it intercepts IPv6 (addPassthroughV6), the eBPF plan counts it as local, and
// uninstall removes it when kuma-tproxy added it. The only definition.
inline Cidr passthroughV6() {
  IpAddress a;
  a.family = Family::kV6;
  a.bytes[15] = 6;
  return Cidr::host(a);
}

// Adds passthroughV6() to the loopback interface `loopback` (`index` when known, 0 = looked up
// by name): the one way every backend adds it. Returns true when it was added, false when it
// was there already.
Result<bool> addPassthroughV6(const std::string& loopback, uint32_t index = 0);

// Removes passthroughV6() from `loopback` (a failed install undoing its addPassthroughV6); an
// address that is not there is success.
Status removePassthroughV6(const std::string& loopback);

// Who holds `cidr` on the interface `ifname`.
enum class AddressOwner { kAbsent, kUs, kOther };
Result<AddressOwner> addressOwner(const std::string& ifname, const Cidr& cidr);

// Removes `cidr` from `ifname`; an address that is not there is success.
Status removeAddress(const std::string& ifname, const Cidr& cidr);

}  // namespace kt::sys
