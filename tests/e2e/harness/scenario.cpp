#include "harness/scenario.h"

namespace kt::e2e {

std::string Scenario::name() const {
  switch (ipv6) {
    case Ipv6::kOn:
      return "dualstack";
    case Ipv6::kFamilyModeIpv4:
      return "ipv4_mode";
    case Ipv6::kInboundPortV6Zero:
      return "inbound_v6_port_0";
  }
  return "unknown";
}

std::vector<std::string> scenarioFlags(const Scenario& s) {
  std::vector<std::string> flags = {
      "--kuma-dp-user=" + std::to_string(kSidecarUid),
      "--redirect-all-dns-traffic",
      "--exclude-outbound-ports=" + std::to_string(kExcludedOutboundPort),
      "--exclude-outbound-ips=10.0.0.3,fd00::3",
      "--exclude-inbound-ports=" + std::to_string(kExcludedInboundPort),
  };
  if (s.ipv6 == Scenario::Ipv6::kFamilyModeIpv4) flags.push_back("--ip-family-mode=ipv4");
  if (s.ipv6 == Scenario::Ipv6::kInboundPortV6Zero) flags.push_back("--redirect-inbound-port-v6=0");
  return flags;
}

}  // namespace kt::e2e
