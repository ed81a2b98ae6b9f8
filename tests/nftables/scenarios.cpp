#include "scenarios.h"

#include <cstdio>
#include <cstdlib>

#include "support/literals.h"

namespace kt::testing {

namespace {

Scenario make(std::string name, config::Config cfg, config::Facts facts = {}) {
  facts.ipv6 = cfg.ipv6Requested() && facts.ipv6;
  return Scenario{std::move(name), std::move(cfg), std::move(facts)};
}

}  // namespace

std::vector<Scenario> nftScenarios() {
  std::vector<Scenario> out;
  out.push_back(make("default", {}));

  {
    config::Config c;
    c.inbound.excludePorts = {{22, 22}, {9901, 9901}};
    c.inbound.excludeIps = {cidr("10.0.0.0/8"), cidr("fd00::/8")};
    c.outbound.excludePorts = {{22, 22}, {8000, 8100}, {60000, 65535}};
    c.outbound.excludeIps = {cidr("172.16.5.5"), cidr("192.168.0.0/16"), cidr("2001:db8::1"),
                             cidr("fe80::/10")};
    config::UidPortExclusion both;
    both.protocols = {config::Protocol::kTcp, config::Protocol::kUdp};
    both.ports = {{80, 80}, {1000, 2000}};
    both.uids = {1000, 1005};
    config::UidPortExclusion udpAll;
    udpAll.protocols = {config::Protocol::kUdp};
    udpAll.uids = {1006, 1006};
    config::UidPortExclusion tcpOne;
    tcpOne.protocols = {config::Protocol::kTcp};
    tcpOne.ports = {{443, 443}};
    tcpOne.uids = {1007, 1007};
    c.outbound.excludePortsForUids = {both, udpAll, tcpOne};
    out.push_back(make("exclusions", c));
  }
  {
    config::Config c;
    c.dns.enabled = true;
    c.dns.captureAll = true;
    out.push_back(make("dns-capture-all", c));
  }
  {
    config::Config c;
    c.dns.enabled = true;
    config::Facts f;
    f.dnsServers = {ip("10.96.0.10"), ip("127.0.0.11"), ip("fd00::10")};
    out.push_back(make("dns-servers", c, f));
  }
  {
    config::Config c;
    c.dns.enabled = true;
    c.dns.captureAll = true;
    c.dns.conntrackZoneSplit = false;
    out.push_back(make("dns-no-conntrack-split", c));
  }
  {
    config::Config c;
    c.dns.enabled = true;
    c.dns.captureAll = true;
    config::Facts f;
    f.dockerOutputChain = true;
    out.push_back(make("dns-docker", c, f));
  }
  {
    config::Config c;
    c.inbound.portV6 = 0;
    out.push_back(make("ipv6-off", c));
  }
  {
    config::Config c;
    c.ipFamilyMode = config::IpFamilyMode::kIpv4;
    c.dns.enabled = true;
    c.dns.captureAll = true;
    out.push_back(make("ipv4-mode", c));
  }
  {
    config::Config c;
    c.inbound.enabled = false;
    out.push_back(make("gateway", c));
  }
  {
    config::Config c;
    c.logs = true;
    c.dropInvalidPackets = true;
    out.push_back(make("logs-drop-invalid", c));
  }
  {
    config::Config c;
    c.outbound.port = 16001;
    c.inbound.port = 16006;
    c.inbound.portV6 = 16010;
    c.dns.enabled = true;
    c.dns.captureAll = true;
    c.dns.port = 16053;
    config::Facts f;
    f.kumaDpUid = 1337;
    out.push_back(make("custom-ports", c, f));
  }
  {
    config::Config c;
    c.inbound.includePorts = {{8080, 8080}, {9090, 9095}};
    c.outbound.includePorts = {{443, 443}};
    out.push_back(make("include-ports", c));
  }
  {
    config::Config c;
    c.comments = false;
    c.outbound.excludePorts = {{22, 22}, {9901, 9901}};
    out.push_back(make("no-comments", c));
  }
  {
    // Lists of single ports and host addresses only: hash sets (protocol . port, and one
    // per address family), next to an interval set of ports with a range.
    config::Config c;
    c.inbound.excludePorts = {{22, 22}, {9901, 9901}, {15020, 15020}};
    c.inbound.excludeIps = {cidr("10.0.0.7"), cidr("10.0.0.9"), cidr("fd00::7"), cidr("fd00::9")};
    c.outbound.excludePorts = {{5432, 5432}, {6000, 6010}};
    c.outbound.excludeIps = {cidr("172.16.5.5"), cidr("172.16.5.6"), cidr("2001:db8::1"),
                             cidr("2001:db8::3")};
    config::UidPortExclusion both;
    both.protocols = {config::Protocol::kTcp, config::Protocol::kUdp};
    both.ports = {{53, 53}, {8080, 8080}};
    both.uids = {1000, 1005};
    config::UidPortExclusion tcpTwo;
    tcpTwo.protocols = {config::Protocol::kTcp};
    tcpTwo.ports = {{443, 443}, {8443, 8443}};
    tcpTwo.uids = {1007, 1007};
    c.outbound.excludePortsForUids = {both, tcpTwo};
    out.push_back(make("hash-sets", c));
  }
  return out;
}

Scenario nftScenario(const std::string& name) {
  for (auto& s : nftScenarios())
    if (s.name == name) return s;
  std::fprintf(stderr, "unknown test scenario %s\n", name.c_str());
  std::abort();
}

Scenario manyExclusions(size_t ports) {
  config::Config c;
  for (size_t i = 0; i < ports; ++i) {
    auto p = static_cast<uint16_t>(10000 + 3 * i);
    c.outbound.excludePorts.push_back({p, p});
    // Every other address of 10.0.0.0/16, so that no two neighbours form one interval.
    size_t n = 2 * i;
    c.outbound.excludeIps.push_back(Cidr::host(
        IpAddress::v4(10, 0, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n & 0xff))));
  }
  return make("exclusions-" + std::to_string(ports), c);
}

}  // namespace kt::testing
