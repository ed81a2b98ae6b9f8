// The one configuration every e2e suite installs, and the ports and users the tests use.
//
// In the pod: the fake sidecar (uid 5678) on 15001/15006/15010/15053 and the application's
// server (uid 1000) on 80 and 8081. In the peer: a server on 8080 and 9090 and a DNS resolver on
// 53. The install excludes outbound port 9090, outbound IPs 10.0.0.3 and fd00::3, inbound port
// 8081, and captures all DNS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kt::e2e {

inline constexpr uint32_t kSidecarUid = 5678;
inline constexpr uint32_t kAppUid = 1000;

inline constexpr uint16_t kOutboundPort = 15001;
inline constexpr uint16_t kInboundPort = 15006;
inline constexpr uint16_t kInboundPortV6 = 15010;
inline constexpr uint16_t kDnsProxyPort = 15053;

inline constexpr uint16_t kAppPort = 80;                // the application's own listener
inline constexpr uint16_t kExcludedInboundPort = 8081;  // also served by the application
inline constexpr uint16_t kPeerPort = 8080;
inline constexpr uint16_t kExcludedOutboundPort = 9090;  // also served by the peer
inline constexpr uint16_t kDnsPort = 53;

// DNS answers that tell who answered (kt-e2e defaults).
inline constexpr const char* kSidecarAnswerV4 = "10.99.99.99";
inline constexpr const char* kSidecarAnswerV6 = "fd99::99";
inline constexpr const char* kPeerAnswerV4 = "10.88.88.88";
inline constexpr const char* kPeerAnswerV6 = "fd88::88";

struct Scenario {
  enum class Ipv6 {
    kOn,                 // dualstack (the default)
    kFamilyModeIpv4,     // --ip-family-mode ipv4
    kInboundPortV6Zero,  // --redirect-inbound-port-v6 0
  };
  Ipv6 ipv6 = Ipv6::kOn;

  bool ipv6Redirected() const { return ipv6 == Ipv6::kOn; }
  std::string name() const;  // "dualstack", "ipv4_mode", "inbound_v6_port_0"
};

// The kuma-tproxy install flags of the scenario (without --backend and --netns).
std::vector<std::string> scenarioFlags(const Scenario& s);

}  // namespace kt::e2e
