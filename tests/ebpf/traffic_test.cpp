// Real traffic through the eBPF backend (label e2e): outbound, DNS, inbound, exclusions and the
// loopback rules, IPv4 and IPv6, each in a fresh pod/peer namespace pair.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fixture.h"

namespace kt::ebpftest {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class Traffic : public EbpfTest, public ::testing::WithParamInterface<Family> {
 protected:
  IpAddress podAddr(const Pod& p) const {
    return GetParam() == Family::kV4 ? p.net->podV4 : p.net->podV6;
  }
  IpAddress peerAddr(const Pod& p) const {
    return GetParam() == Family::kV4 ? p.net->peerV4 : p.net->peerV6;
  }
  // The pod with a sidecar, a peer server on 8080/9000 (TCP) and 53 (UDP), installed.
  Pod* standardPod(const std::function<void(Pod&)>& tweak = {}) {
    Pod* p = addPod(61);
    if (p == nullptr) return nullptr;
    if (tweak) tweak(*p);
    if (auto s = install(*p); !s) {
      ADD_FAILURE() << "install: " << s.error().message();
      return nullptr;
    }
    bool ok =
        startSidecar(*p) &&
        keep(startServer(
            p->peer(), "server",
            {{Family::kV4, 8080}, {Family::kV6, 8080}, {Family::kV4, 9000}, {Family::kV6, 9000}},
            {{Family::kV4, 53}, {Family::kV6, 53}}));
    return ok ? p : nullptr;
  }
};

// "10.0.0.2:" / "[fd00::2]:": an endpoint of this address, any port.
std::string hostPart(const IpAddress& a) {
  std::string e = endpoint(a, 0);
  return e.substr(0, e.size() - 1);
}

std::string sidecarReply(uint16_t port, const std::string& orig) {
  return "sidecar port=" + std::to_string(port) + " orig=" + orig;
}

TEST_P(Traffic, OutboundIsRedirectedWithOriginalDestination) {
  Pod* p = standardPod();
  ASSERT_NE(p, nullptr);
  std::string orig = endpoint(peerAddr(*p), 8080);
  auto r = tcpConnect(p->app(), peerAddr(*p), 8080);
  ASSERT_TRUE(r.connected) << r.describe();
  EXPECT_THAT(r.reply, StartsWith(sidecarReply(15001, orig))) << r.describe();
  // The application still sees the address it connected to.
  EXPECT_EQ(r.peer, orig);
  // The sidecar sees the pod's address as the peer, as with a netfilter REDIRECT.
  EXPECT_THAT(r.reply, HasSubstr("peer=" + hostPart(podAddr(*p)))) << r.describe();
}

TEST_P(Traffic, SidecarUidIsNotRedirected) {
  Pod* p = standardPod();
  ASSERT_NE(p, nullptr);
  auto r = tcpConnect(p->sidecar(), peerAddr(*p), 8080);
  ASSERT_TRUE(r.connected) << r.describe();
  EXPECT_THAT(r.reply, StartsWith("server port=8080")) << r.describe();
}

INSTANTIATE_TEST_SUITE_P(Families, Traffic, ::testing::Values(Family::kV4, Family::kV6),
                         [](const auto& p) { return std::string(familyName(p.param)); });

}  // namespace
}  // namespace kt::ebpftest
