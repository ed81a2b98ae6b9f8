// Installs that depend on what the pod's namespace looks like, run from outside it with --netns
// (as the CNI plugin does): the backend's probes must look at the pod, not at the caller.
#include <gtest/gtest.h>

#include "backend_fixture.h"
#include "harness/netfilter_dump.h"

namespace kt::e2e {
namespace {

class PodShape : public BackendFixture, public ::testing::TestWithParam<BackendSpec> {
 protected:
  void SetUp() override { setUpFor(GetParam()); }
  void TearDown() override { tearDown(); }
};

// A pod without any IPv6 address: the install still succeeds (dualstack was not asked for
// explicitly) and IPv4 is intercepted as usual.
TEST_P(PodShape, PodWithoutIpv6IsInterceptedOverIpv4) {
  ASSERT_TRUE(env_->topo().pod().check("ip", {"-6", "addr", "flush", "dev", "eth0"}));
  auto left = env_->topo().pod().check("ip", {"-6", "-o", "addr", "show", "dev", "eth0"});
  ASSERT_TRUE(left.ok() && left->empty()) << "IPv6 addresses left on eth0";
  ASSERT_TRUE(install());
  const IpAddress peer = Topology::peerAddr(Family::kV4), pod = Topology::podAddr(Family::kV4);
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer, kPeerPort)), kOutboundPort,
                             ep(peer, kPeerPort)));
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->peer(), ep(pod, kAppPort)), kInboundPort,
                             ep(pod, kAppPort)));
}

INSTANTIATE_TEST_SUITE_P(Backends, PodShape, ::testing::ValuesIn(allBackends()),
                         [](const ::testing::TestParamInfo<BackendSpec>& p) {
                           return p.param.name;
                         });

// `--backend iptables` picks the mode whose rules already exist in the pod (kuma.md 4.3). The
// caller's namespace has none, so only a probe inside the pod can find the legacy rule.
class IptablesAutoMode : public BackendFixture, public ::testing::Test {
 protected:
  void SetUp() override { setUpFor(spec_); }
  void TearDown() override { tearDown(); }
  BackendSpec spec_ = cliBackend("iptables_auto", {"--backend=iptables"});
};

TEST_F(IptablesAutoMode, FollowsTheModeOfRulesAlreadyInThePod) {
  const ScratchNetns& pod = env_->topo().pod();
  ASSERT_TRUE(pod.check("iptables-legacy", {"-t", "nat", "-A", "POSTROUTING", "-o", "eth0", "-p",
                                            "udp", "--dport", "9", "-j", "RETURN"}));
  ASSERT_TRUE(install());
  auto legacy = pod.check("iptables-legacy-save", {});
  auto nft = pod.check("iptables-nft-save", {});
  ASSERT_TRUE(legacy.ok() && nft.ok());
  EXPECT_FALSE(ourLines(*legacy).empty()) << "no rules of ours in legacy mode:\n" << *legacy;
  EXPECT_TRUE(ourLines(*nft).empty()) << "rules of ours in nf_tables mode:\n" << *nft;
  const IpAddress peer = Topology::peerAddr(Family::kV4);
  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer, kPeerPort)), kOutboundPort,
                             ep(peer, kPeerPort)));
}

}  // namespace
}  // namespace kt::e2e
