// One layer of interception per namespace: after an install only the requested backend
// intercepts, so a port the new configuration excludes really goes direct, and verify reports
// another backend's state as a difference. Real packets through the scenario's pod and peer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "expect.h"
#include "harness/netfilter_dump.h"
#include "harness/pod_env.h"
#include "support/text.h"
#include "sys/exec.h"

namespace kt::e2e {
namespace {

using testing::contains;

class Layers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: creates network namespaces and installs rules";
    auto env = PodEnv::make({});
    ASSERT_TRUE(env.ok()) << env.error().message();
    env_ = std::move(*env);
  }
  void TearDown() override {
    if (!env_) return;
    tproxy({"uninstall"});
    Status s = env_->stopProcesses();
    EXPECT_TRUE(s.ok()) << s.error().message();
    env_.reset();
  }

  // kuma-tproxy `args` + the scenario's flags (install and verify) + --netns of the pod.
  sys::ExecResult tproxy(std::vector<std::string> args) {
    if (args[0] == "install" || args[0] == "verify") {
      auto flags = scenarioFlags(Scenario{});
      args.insert(args.end(), flags.begin(), flags.end());
    }
    args.push_back("--netns=" + env_->topo().pod().path());
    auto r = sys::run({tproxyPath(), args, {}, {}, std::chrono::seconds(60), nullptr, nullptr});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : sys::ExecResult{};
  }

  Result<Reply> appToPeer(Family f) {
    return connectFrom(env_->app(), ep(Topology::peerAddr(f), kPeerPort));
  }

  std::unique_ptr<PodEnv> env_;
};

// The switch of the report: iptables-nft first, then nftables excluding the peer's port. Before
// this was fixed the iptables layer kept redirecting 8080 and verify said "matches".
TEST_F(Layers, SwitchingBackendsLeavesOnlyTheNewLayer) {
  auto first = tproxy({"install", "--backend=iptables-nft"});
  ASSERT_TRUE(first.success()) << first.describe();
  ASSERT_TRUE(landsOnSidecar(appToPeer(Family::kV4), kOutboundPort,
                             ep(Topology::peerAddr(Family::kV4), kPeerPort)));

  auto second = tproxy({"install", "--backend=nftables", "--exclude-outbound-ports=8080"});
  ASSERT_TRUE(second.success()) << second.describe();
  EXPECT_TRUE(
      contains(second.err, "removed the iptables-nft interception that was installed before"))
      << second.err;
  for (Family f : {Family::kV4, Family::kV6})
    EXPECT_TRUE(reachesServer(appToPeer(f), "peer", kPeerPort)) << familyName(f);
  // The rest of the nftables configuration intercepts.
  EXPECT_TRUE(
      landsOnSidecar(connectFrom(env_->peer(), ep(Topology::podAddr(Family::kV4), kAppPort)),
                     kInboundPort, ep(Topology::podAddr(Family::kV4), kAppPort)));
  for (const char* save : {"iptables-nft-save", "ip6tables-nft-save"}) {
    auto text = env_->topo().pod().check(save, {});
    ASSERT_TRUE(text.ok()) << text.error().message();
    EXPECT_TRUE(ourLines(*text).empty()) << save << " still shows rules of ours:\n" << *text;
  }

  auto same = tproxy({"verify", "--backend=nftables", "--exclude-outbound-ports=8080"});
  EXPECT_EQ(same.exitCode, 0) << same.describe() << same.out;
  // Without --backend, verify compares with what is installed and says so.
  auto detected = tproxy({"verify", "--exclude-outbound-ports=8080"});
  EXPECT_EQ(detected.exitCode, 0) << detected.describe() << detected.out;
  EXPECT_TRUE(contains(detected.err, "comparing with the installed nftables backend"))
      << detected.err;
}

TEST_F(Layers, VerifyReportsAnotherBackendsLeftovers) {
  auto in = tproxy({"install", "--backend=nftables"});
  ASSERT_TRUE(in.success()) << in.describe();
  ASSERT_EQ(tproxy({"verify", "--backend=nftables"}).exitCode, 0);

  // Plant what an older iptables-legacy install would have left: our chain, jumped to.
  const auto& pod = env_->topo().pod();
  ASSERT_TRUE(pod.check("iptables-legacy", {"-t", "nat", "-N", "KUMA_MESH_OUTBOUND"}).ok());
  ASSERT_TRUE(pod.check("iptables-legacy",
                        {"-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-j", "KUMA_MESH_OUTBOUND"})
                  .ok());
  auto v = tproxy({"verify", "--backend=nftables"});
  EXPECT_EQ(v.exitCode, 1) << v.describe();
  EXPECT_TRUE(
      contains(v.out, "+ unexpected: iptables-legacy state (another backend's layer): IPv4"))
      << v.out;

  // A new install removes it and says what it removed.
  auto again = tproxy({"install", "--backend=nftables"});
  ASSERT_TRUE(again.success()) << again.describe();
  EXPECT_TRUE(contains(again.err, "removed the iptables-legacy interception")) << again.err;
  auto legacy = pod.check("iptables-legacy-save", {});
  ASSERT_TRUE(legacy.ok());
  EXPECT_TRUE(ourLines(*legacy).empty()) << *legacy;
  EXPECT_EQ(tproxy({"verify", "--backend=nftables"}).exitCode, 0);
}

// verify prints what the kernel has and the configuration lacks as nft text, not as libnftnl
// expressions ("[ payload load 2b @ transport header + 2 => reg 1 ]").
TEST_F(Layers, NftablesDifferencesAreInNftSyntax) {
  auto in = tproxy({"install", "--backend=nftables", "--exclude-outbound-ports=8080",
                    "--exclude-outbound-ips=10.9.0.0/16"});
  ASSERT_TRUE(in.success()) << in.describe();
  auto v = tproxy({"verify", "--backend=nftables"});
  EXPECT_EQ(v.exitCode, 1) << v.describe();
  EXPECT_TRUE(contains(v.out, "+ unexpected: chain ")) << v.out;
  EXPECT_TRUE(contains(v.out, "ip daddr ")) << v.out;
  EXPECT_FALSE(contains(v.out, "[ ")) << v.out;
  EXPECT_FALSE(contains(v.out, " => reg ")) << v.out;
}

}  // namespace
}  // namespace kt::e2e
