// The end-to-end scenarios with real packets, for every backend and both IP families:
// where the application's outbound, inbound and DNS traffic goes after `install`, what stays
// direct, and that `uninstall` brings everything back. See harness/scenario.h for the set-up.
#include <gtest/gtest.h>

#include <tuple>

#include "backend_fixture.h"
#include "base/strings.h"

namespace kt::e2e {
namespace {

using Param = std::tuple<BackendSpec, Family>;

class Traffic : public BackendFixture, public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { setUpFor(std::get<0>(GetParam())); }
  void TearDown() override { tearDown(); }

  Family f() const { return std::get<1>(GetParam()); }
  bool v6() const { return f() == Family::kV6; }
  IpAddress pod() const { return Topology::podAddr(f()); }
  IpAddress peer() const { return Topology::peerAddr(f()); }
  IpAddress peerAlt() const { return Topology::peerAltAddr(f()); }
  IpAddress localhost() const { return IpAddress::parse(v6() ? "::1" : "127.0.0.1").value(); }
  IpAddress passthrough() const { return IpAddress::parse(v6() ? "::6" : "127.0.0.6").value(); }
  uint16_t inboundPort() const { return v6() ? kInboundPortV6 : kInboundPort; }
  std::string sidecarAnswer() const { return v6() ? kSidecarAnswerV6 : kSidecarAnswerV4; }
  std::string peerAnswer() const { return v6() ? kPeerAnswerV6 : kPeerAnswerV4; }

  // The three directions all go straight to their destination (no interception).
  void expectAllDirect() {
    EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(peer(), kPeerPort)), "peer", kPeerPort));
    EXPECT_TRUE(reachesServer(connectFrom(env_->peer(), ep(pod(), kAppPort)), "app", kAppPort));
    EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {v6()}), peerAnswer(),
                             ep(peer(), kDnsPort)));
  }
};

// 1. The application's outbound connection lands on the sidecar's outbound port, which recovers
// the original destination.
TEST_P(Traffic, AppOutboundLandsOnSidecarWithOriginalDestination) {
  ASSERT_TRUE(install());
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer(), kPeerPort)), kOutboundPort,
                             ep(peer(), kPeerPort)));
  // Any uid but the sidecar's is intercepted, root included.
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->inPod(0), ep(peer(), kPeerPort)), kOutboundPort,
                             ep(peer(), kPeerPort)));
}

// 2. The sidecar's own traffic is never redirected.
TEST_P(Traffic, SidecarUidReachesPeerDirectly) {
  ASSERT_TRUE(install());
  EXPECT_TRUE(
      reachesServer(connectFrom(env_->sidecarUser(), ep(peer(), kPeerPort)), "peer", kPeerPort));
}

// 3. Excluded outbound port and excluded outbound IP reach the peer directly.
TEST_P(Traffic, ExcludedOutboundPortAndIpReachPeerDirectly) {
  ASSERT_TRUE(install());
  EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(peer(), kExcludedOutboundPort)), "peer",
                            kExcludedOutboundPort));
  EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(peerAlt(), kPeerPort)), "peer", kPeerPort));
  // The exclusions are exact: the same port on the other address is still intercepted.
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer(), kPeerPort)), kOutboundPort,
                             ep(peer(), kPeerPort)));
}

// 4. Inbound connections land on the inbound port (IPv6: its own port) with the original
// destination; an excluded inbound port reaches the application.
TEST_P(Traffic, InboundLandsOnSidecarAndExcludedPortReachesApp) {
  ASSERT_TRUE(install());
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->peer(), ep(pod(), kAppPort)), inboundPort(),
                             ep(pod(), kAppPort)));
  EXPECT_TRUE(reachesServer(connectFrom(env_->peer(), ep(pod(), kExcludedInboundPort)), "app",
                            kExcludedInboundPort));
}

// 5. With capture-all DNS, the application's query to any resolver is answered by the sidecar's
// DNS proxy, and appears to come from the resolver it asked; the sidecar's own query reaches the
// real resolver.
TEST_P(Traffic, AppDnsAnsweredBySidecarAndSidecarDnsReachesResolver) {
  ASSERT_TRUE(install());
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {v6()}), sidecarAnswer(),
                           ep(peer(), kDnsPort)));
  // A connected socket (glibc's resolver) gets the answer too: the source must match exactly.
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {v6(), true}),
                           sidecarAnswer(), ep(peer(), kDnsPort)));
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->sidecarUser(), ep(peer(), kDnsPort), {v6()}),
                           peerAnswer(), ep(peer(), kDnsPort)));
}

// 6. Loopback: the application talking to itself is untouched, and the sidecar's passthrough
// connection from 127.0.0.6 (::6) to the application is not redirected back to the sidecar.
TEST_P(Traffic, LoopbackAndSidecarPassthroughAreNotRedirected) {
  ASSERT_TRUE(install());
  EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(localhost(), kAppPort)), "app", kAppPort));
  // The pod's own address is routed over lo too: still the application's own business.
  EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(pod(), kAppPort)), "app", kAppPort));
  // For IPv6 this also needs ::6 on lo, which the install adds (the bind fails otherwise).
  EXPECT_TRUE(reachesServer(connectFrom(env_->sidecarUser(), ep(pod(), kAppPort), {passthrough()}),
                            "app", kAppPort));
  // Without the passthrough source, the sidecar reaching the pod's address is inbound traffic.
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->sidecarUser(), ep(pod(), kAppPort)), inboundPort(),
                             ep(pod(), kAppPort)));
  // An unbound socket connecting to ::6 gets ::6 itself as its source: passthrough as well.
  // (Towards 127.0.0.6 the kernel picks 127.0.0.1, so IPv4 has no such case.)
  if (v6()) {
    EXPECT_TRUE(reachesServer(connectFrom(env_->sidecarUser(), ep(passthrough(), kAppPort)), "app",
                              kAppPort));
  }
}

// 8. After uninstall everything goes direct again and nothing of ours is left.
TEST_P(Traffic, UninstallRestoresDirectTrafficAndLeavesNothing) {
  expectAllDirect();  // the baseline: without rules this is what we expect
  ASSERT_TRUE(install());
  ASSERT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer(), kPeerPort)), kOutboundPort,
                             ep(peer(), kPeerPort)));
  ASSERT_TRUE(uninstall());
  expectAllDirect();
  EXPECT_TRUE(
      reachesServer(connectFrom(env_->sidecarUser(), ep(pod(), kAppPort)), "app", kAppPort));
  auto left = backend_->leftovers(env_->installEnv());
  ASSERT_TRUE(left.ok()) << left.error().message();
  EXPECT_TRUE(left->empty()) << "left after uninstall:\n" << join(*left, "\n");
  // A second uninstall finds nothing and succeeds.
  EXPECT_TRUE(uninstall());
}

// Installing twice gives exactly the state of one install, and traffic is still intercepted.
TEST_P(Traffic, InstallTwiceEqualsOnce) {
  ASSERT_TRUE(install());
  auto once = backend_->state(env_->installEnv());
  ASSERT_TRUE(once.ok()) << once.error().message();
  ASSERT_TRUE(install());
  auto twice = backend_->state(env_->installEnv());
  ASSERT_TRUE(twice.ok()) << twice.error().message();
  EXPECT_EQ(*once, *twice);
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer(), kPeerPort)), kOutboundPort,
                             ep(peer(), kPeerPort)));
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->peer(), ep(pod(), kAppPort)), inboundPort(),
                             ep(pod(), kAppPort)));
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {v6()}), sidecarAnswer(),
                           ep(peer(), kDnsPort)));
}

INSTANTIATE_TEST_SUITE_P(Backends, Traffic,
                         ::testing::Combine(::testing::ValuesIn(allBackends()),
                                            ::testing::Values(Family::kV4, Family::kV6)),
                         [](const ::testing::TestParamInfo<Param>& p) {
                           return paramName(std::get<0>(p.param), familyName(std::get<1>(p.param)));
                         });

}  // namespace
}  // namespace kt::e2e
