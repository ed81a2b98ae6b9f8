// With `--ip-family-mode ipv4` or `--redirect-inbound-port-v6 0`, no IPv6 traffic is redirected,
// while IPv4 still is (so the install did happen).
#include <gtest/gtest.h>

#include <tuple>

#include "backend_fixture.h"

namespace kt::e2e {
namespace {

using Param = std::tuple<BackendSpec, Scenario::Ipv6>;

class Ipv6Off : public BackendFixture, public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { setUpFor(std::get<0>(GetParam())); }
  void TearDown() override { tearDown(); }
  Scenario scenario() const { return Scenario{std::get<1>(GetParam())}; }
};

TEST_P(Ipv6Off, NoIpv6TrafficIsRedirected) {
  ASSERT_TRUE(install(scenario()));
  const IpAddress pod6 = Topology::podAddr(Family::kV6), peer6 = Topology::peerAddr(Family::kV6);
  EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(peer6, kPeerPort)), "peer", kPeerPort));
  EXPECT_TRUE(reachesServer(connectFrom(env_->peer(), ep(pod6, kAppPort)), "app", kAppPort));
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer6, kDnsPort), {true}), kPeerAnswerV6,
                           ep(peer6, kDnsPort)));

  const IpAddress pod4 = Topology::podAddr(Family::kV4), peer4 = Topology::peerAddr(Family::kV4);
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer4, kPeerPort)), kOutboundPort,
                             ep(peer4, kPeerPort)));
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->peer(), ep(pod4, kAppPort)), kInboundPort,
                             ep(pod4, kAppPort)));
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer4, kDnsPort)), kSidecarAnswerV4,
                           ep(peer4, kDnsPort)));
}

INSTANTIATE_TEST_SUITE_P(Backends, Ipv6Off,
                         ::testing::Combine(::testing::ValuesIn(allBackends()),
                                            ::testing::Values(Scenario::Ipv6::kFamilyModeIpv4,
                                                              Scenario::Ipv6::kInboundPortV6Zero)),
                         [](const ::testing::TestParamInfo<Param>& p) {
                           return paramName(std::get<0>(p.param),
                                            Scenario{std::get<1>(p.param)}.name());
                         });

}  // namespace
}  // namespace kt::e2e
