// Real traffic through the eBPF backend (label e2e): outbound, DNS, inbound, the
// exclusions and the loopback rules, for IPv4 and IPv6, each in a fresh pod/peer namespace pair
// whose processes sit in the test's scratch cgroup.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fixture.h"

namespace kt::ebpftest {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint16_t kPeerPort = 8080;   // a peer service
constexpr uint16_t kOtherPort = 9000;  // another peer port
constexpr uint16_t kAppPort = 80;      // the application's own listener
constexpr uint16_t kAppPort2 = 8081;   // another application port

// "10.0.0.2:" / "[fd00::2]:": an endpoint of this address, any port.
std::string hostPart(const IpAddress& a) {
  std::string e = endpoint(a, 0);
  return e.substr(0, e.size() - 1);
}

std::string sidecarReply(uint16_t port, const std::string& orig) {
  return "sidecar port=" + std::to_string(port) + " orig=" + orig;
}

class Traffic : public EbpfTest, public ::testing::WithParamInterface<Family> {
 protected:
  Family fam() const { return GetParam(); }
  IpAddress podAddr(const Pod& p) const {
    return fam() == Family::kV4 ? p.net->podV4 : p.net->podV6;
  }
  IpAddress peerAddr(const Pod& p) const {
    return fam() == Family::kV4 ? p.net->peerV4 : p.net->peerV6;
  }
  uint16_t inboundPort(const Pod& p) const {
    return fam() == Family::kV4 ? p.cfg.inbound.port : p.cfg.inbound.portV6;
  }
  Cidr host(const IpAddress& a) const { return Cidr::host(a); }

  // A pod (adjusted by `tweak` before install) with its sidecar, the application listening on
  // 80, 8081 and 8082, and a peer serving TCP 8080/9000 and UDP 53.
  Pod* standardPod(const std::function<void(Pod&)>& tweak = {}) {
    Pod* p = addPod(61);
    if (p == nullptr) return nullptr;
    if (tweak) tweak(*p);
    if (auto s = install(*p); !s) {
      ADD_FAILURE() << "install: " << s.error().message();
      return nullptr;
    }
    std::vector<Listen> app;
    for (uint16_t port : {kAppPort, kAppPort2, uint16_t{8082}}) {
      app.push_back({Family::kV4, port});
      app.push_back({Family::kV6, port});
    }
    bool ok = startSidecar(*p) && keep(startServer(p->appServer(), "app", app)) &&
              keep(startServer(p->peer(), "server",
                               {{Family::kV4, kPeerPort},
                                {Family::kV6, kPeerPort},
                                {Family::kV4, kOtherPort},
                                {Family::kV6, kOtherPort}},
                               {{Family::kV4, 53}, {Family::kV6, 53}}));
    return ok ? p : nullptr;
  }
};

TEST_P(Traffic, OutboundIsRedirectedWithOriginalDestination) {
  Pod* p = standardPod();
  ASSERT_NE(p, nullptr);
  std::string orig = endpoint(peerAddr(*p), kPeerPort);
  auto r = tcpConnect(p->app(), peerAddr(*p), kPeerPort);
  ASSERT_TRUE(r.connected) << r.describe();
  EXPECT_THAT(r.reply, StartsWith(sidecarReply(15001, orig))) << r.describe();
  // The application still sees the address it connected to (getpeername is restored) ...
  EXPECT_EQ(r.peer, orig);
  // ... and the sidecar sees the pod's address as the peer, as with a netfilter REDIRECT.
  EXPECT_THAT(r.reply, HasSubstr("peer=" + hostPart(podAddr(*p)))) << r.describe();
}

TEST_P(Traffic, SidecarUidIsNotRedirected) {
  Pod* p = standardPod();
  ASSERT_NE(p, nullptr);
  auto r = tcpConnect(p->sidecar(), peerAddr(*p), kPeerPort);
  ASSERT_TRUE(r.connected) << r.describe();
  EXPECT_THAT(r.reply, StartsWith("server port=8080")) << r.describe();
}

TEST_P(Traffic, ExcludedOutboundPortGoesDirect) {
  Pod* p = standardPod([](Pod& pod) { pod.cfg.outbound.excludePorts = {{9000, 9005}}; });
  ASSERT_NE(p, nullptr);
  auto direct = tcpConnect(p->app(), peerAddr(*p), kOtherPort);
  EXPECT_THAT(direct.reply, StartsWith("server port=9000")) << direct.describe();
  auto redirected = tcpConnect(p->app(), peerAddr(*p), kPeerPort);
  EXPECT_THAT(redirected.reply, StartsWith("sidecar port=15001")) << redirected.describe();
}

TEST_P(Traffic, ExcludedOutboundIpGoesDirect) {
  Pod* p = standardPod([this](Pod& pod) {
    // The other family's peer is excluded too: the lists mix families.
    pod.cfg.outbound.excludeIps = {host(pod.net->peerV4), host(pod.net->peerV6)};
  });
  ASSERT_NE(p, nullptr);
  auto r = tcpConnect(p->app(), peerAddr(*p), kPeerPort);
  EXPECT_THAT(r.reply, StartsWith("server port=8080")) << r.describe();
}

TEST_P(Traffic, UidPortExclusion) {
  Pod* p = standardPod([](Pod& pod) {
    config::UidPortExclusion ex;
    ex.protocols = {config::Protocol::kTcp};
    ex.ports = {{kPeerPort, kPeerPort}};
    ex.uids = {1000, 1000};
    pod.cfg.outbound.excludePortsForUids = {ex};
  });
  ASSERT_NE(p, nullptr);
  auto excluded = tcpConnect(p->app(1000), peerAddr(*p), kPeerPort);
  EXPECT_THAT(excluded.reply, StartsWith("server port=8080")) << excluded.describe();
  auto otherPort = tcpConnect(p->app(1000), peerAddr(*p), kOtherPort);
  EXPECT_THAT(otherPort.reply, StartsWith("sidecar port=15001")) << otherPort.describe();
  auto otherUid = tcpConnect(p->app(1001), peerAddr(*p), kPeerPort);
  EXPECT_THAT(otherUid.reply, StartsWith("sidecar port=15001")) << otherUid.describe();
}

TEST_P(Traffic, DnsIsRedirectedAndTheReplyComesFromTheResolverAsked) {
  Pod* p = standardPod([](Pod& pod) {
    pod.cfg.dns.enabled = true;
    pod.cfg.dns.captureAll = true;
  });
  ASSERT_NE(p, nullptr);
  std::string resolver = endpoint(peerAddr(*p), 53);
  for (bool connected : {false, true}) {
    SCOPED_TRACE(connected ? "connected socket" : "sendto");
    auto r = udpQuery(p->app(), peerAddr(*p), 53, connected);
    EXPECT_EQ(r.reply, "dns-proxy") << r.describe();
    EXPECT_EQ(r.from, resolver) << r.describe();
    if (connected) {
      EXPECT_EQ(r.peer, resolver) << r.describe();
    }
  }
  // The sidecar's own queries reach the resolver.
  auto sidecar = udpQuery(p->sidecar(), peerAddr(*p), 53, false);
  EXPECT_EQ(sidecar.reply, "server-udp") << sidecar.describe();
  // TCP/53 of the application is not redirected (Kuma >= 2.14).
  auto tcp = tcpConnect(p->app(), peerAddr(*p), 53);
  EXPECT_FALSE(tcp.connected && tcp.reply.find("sidecar") == 0) << tcp.describe();
}

TEST_P(Traffic, DnsOnlyForResolvConfServersUnlessCaptureAll) {
  Pod* p = standardPod([](Pod& pod) {
    pod.cfg.dns.enabled = true;
    pod.facts.dnsServers = {*IpAddress::parse("10.199.0.53"), *IpAddress::parse("fd99::53")};
  });
  ASSERT_NE(p, nullptr);
  auto notListed = udpQuery(p->app(), peerAddr(*p), 53, false);
  EXPECT_EQ(notListed.reply, "server-udp") << notListed.describe();
  // Re-install with the peer as the resolver: the pod's entry is replaced.
  p->facts.dnsServers = {p->net->peerV4, p->net->peerV6};
  ASSERT_TRUE(install(*p).ok());
  auto listed = udpQuery(p->app(), peerAddr(*p), 53, false);
  EXPECT_EQ(listed.reply, "dns-proxy") << listed.describe();
}

TEST_P(Traffic, UidExclusionAppliesToDns) {
  Pod* p = standardPod([](Pod& pod) {
    pod.cfg.dns.enabled = true;
    pod.cfg.dns.captureAll = true;
    config::UidPortExclusion ex;
    ex.protocols = {config::Protocol::kUdp};
    ex.ports = {{53, 53}};
    ex.uids = {1000, 1000};
    pod.cfg.outbound.excludePortsForUids = {ex};
  });
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(udpQuery(p->app(1000), peerAddr(*p), 53, false).reply, "server-udp");
  EXPECT_EQ(udpQuery(p->app(1001), peerAddr(*p), 53, false).reply, "dns-proxy");
}

TEST_P(Traffic, InboundIsSteeredToTheSidecar) {
  Pod* p = standardPod();
  ASSERT_NE(p, nullptr);
  auto r = tcpConnect(p->peer(), podAddr(*p), kAppPort);
  ASSERT_TRUE(r.connected) << r.describe();
  EXPECT_THAT(r.reply, StartsWith(sidecarReply(inboundPort(*p), endpoint(podAddr(*p), kAppPort))))
      << r.describe();
  EXPECT_THAT(r.reply, HasSubstr("peer=" + hostPart(peerAddr(*p)))) << r.describe();
}

TEST_P(Traffic, ExcludedInboundPortReachesTheApplication) {
  Pod* p = standardPod([](Pod& pod) { pod.cfg.inbound.excludePorts = {{kAppPort2, kAppPort2}}; });
  ASSERT_NE(p, nullptr);
  auto excluded = tcpConnect(p->peer(), podAddr(*p), kAppPort2);
  EXPECT_THAT(excluded.reply, StartsWith("app port=8081")) << excluded.describe();
  auto steered = tcpConnect(p->peer(), podAddr(*p), kAppPort);
  EXPECT_THAT(steered.reply, StartsWith("sidecar")) << steered.describe();
}

TEST_P(Traffic, InboundIncludePortsSteerOnlyThose) {
  Pod* p = standardPod([](Pod& pod) { pod.cfg.inbound.includePorts = {{kAppPort, kAppPort}}; });
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(tcpConnect(p->peer(), podAddr(*p), kAppPort).reply, StartsWith("sidecar"));
  EXPECT_THAT(tcpConnect(p->peer(), podAddr(*p), kAppPort2).reply, StartsWith("app port=8081"));
}

TEST_P(Traffic, ExcludedInboundSourceReachesTheApplication) {
  Pod* p = standardPod([this](Pod& pod) {
    pod.cfg.inbound.excludeIps = {host(pod.net->peerV4), host(pod.net->peerV6)};
  });
  ASSERT_NE(p, nullptr);
  auto r = tcpConnect(p->peer(), podAddr(*p), kAppPort);
  EXPECT_THAT(r.reply, StartsWith("app port=80")) << r.describe();
}

TEST_P(Traffic, LoopbackRules) {
  Pod* p = standardPod();
  ASSERT_NE(p, nullptr);
  // For IPv6 the passthrough bind needs ::6 on lo, which the install adds.
  const IpAddress localhost = *IpAddress::parse(fam() == Family::kV4 ? "127.0.0.1" : "::1");
  const IpAddress passthrough = *IpAddress::parse(fam() == Family::kV4 ? "127.0.0.6" : "::6");
  // The application talking to itself over loopback is untouched: localhost and its own address.
  EXPECT_THAT(tcpConnect(p->app(), localhost, 8082).reply, StartsWith("app port=8082"));
  EXPECT_THAT(tcpConnect(p->app(), podAddr(*p), 8082).reply, StartsWith("app port=8082"));
  // Envoy's inbound passthrough (from 127.0.0.6 / ::6) reaches the application.
  TcpOptions fromPassthrough;
  fromPassthrough.bind = passthrough;
  EXPECT_THAT(tcpConnect(p->sidecar(), podAddr(*p), 8082, fromPassthrough).reply,
              StartsWith("app port=8082"));
  // The sidecar to localhost is untouched.
  EXPECT_THAT(tcpConnect(p->sidecar(), localhost, 8082).reply, StartsWith("app port=8082"));
  // The sidecar to the pod's own address (not from the passthrough source) is inbound traffic.
  auto self = tcpConnect(p->sidecar(), podAddr(*p), 8082);
  EXPECT_THAT(self.reply, StartsWith(sidecarReply(inboundPort(*p), endpoint(podAddr(*p), 8082))))
      << self.describe();
}

TEST_P(Traffic, IpFamilyModeIpv4LeavesIpv6Alone) {
  Pod* p = standardPod([](Pod& pod) {
    pod.cfg.ipFamilyMode = config::IpFamilyMode::kIpv4;
    pod.facts.ipv6 = false;
  });
  ASSERT_NE(p, nullptr);
  auto out = tcpConnect(p->app(), peerAddr(*p), kPeerPort);
  auto in = tcpConnect(p->peer(), podAddr(*p), kAppPort);
  if (fam() == Family::kV6) {
    EXPECT_THAT(out.reply, StartsWith("server port=8080")) << out.describe();
    EXPECT_THAT(in.reply, StartsWith("app port=80")) << in.describe();
  } else {
    EXPECT_THAT(out.reply, StartsWith("sidecar port=15001")) << out.describe();
    EXPECT_THAT(in.reply, StartsWith("sidecar port=15006")) << in.describe();
  }
}

TEST_P(Traffic, UninstallRestoresDirectTraffic) {
  Pod* p = standardPod([](Pod& pod) {
    pod.cfg.dns.enabled = true;
    pod.cfg.dns.captureAll = true;
  });
  ASSERT_NE(p, nullptr);
  ASSERT_THAT(tcpConnect(p->app(), peerAddr(*p), kPeerPort).reply, StartsWith("sidecar"));
  ASSERT_TRUE(uninstall(*p).ok());
  EXPECT_THAT(tcpConnect(p->app(), peerAddr(*p), kPeerPort).reply, StartsWith("server"));
  EXPECT_THAT(tcpConnect(p->peer(), podAddr(*p), kAppPort).reply, StartsWith("app port=80"));
  EXPECT_EQ(udpQuery(p->app(), peerAddr(*p), 53, false).reply, "server-udp");
}

INSTANTIATE_TEST_SUITE_P(Families, Traffic, ::testing::Values(Family::kV4, Family::kV6),
                         [](const auto& p) { return std::string(familyName(p.param)); });

// IPv4 destinations written as IPv4-mapped addresses on AF_INET6 sockets are IPv4 traffic.
class MappedTraffic : public EbpfTest {};

TEST_F(MappedTraffic, MappedDestinationOnIpv6SocketIsRedirected) {
  Pod* p = addPod(62);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(install(*p).ok());
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(keep(startServer(p->peer(), "server", {{Family::kV4, kPeerPort}})));
  TcpOptions v6sock;
  v6sock.v6Socket = true;
  auto r = tcpConnect(p->app(), p->net->peerV4, kPeerPort, v6sock);
  ASSERT_TRUE(r.connected) << r.describe();
  EXPECT_THAT(r.reply, StartsWith(sidecarReply(15001, endpoint(p->net->peerV4, kPeerPort))))
      << r.describe();
  EXPECT_EQ(r.peer, endpoint(p->net->peerV4, kPeerPort));
}

}  // namespace
}  // namespace kt::ebpftest
