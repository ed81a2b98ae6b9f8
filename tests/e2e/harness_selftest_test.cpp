// Self-tests of the e2e harness: the tool, the fixtures and their clean-up, and a small
// hand-written REDIRECT rule set proving that the fake sidecar recovers original destinations
// and answers captured DNS. They need root (namespaces) but no kuma-tproxy backend.
#include <gtest/gtest.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "expect.h"
#include "harness/names.h"
#include "harness/pod_env.h"
#include "support/scratch_bpffs.h"
#include "support/scratch_cgroup.h"

namespace kt::e2e {
namespace {

namespace fs = std::filesystem;

class HarnessSelfTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: creates network namespaces";
    auto env = PodEnv::make({"self"});
    ASSERT_TRUE(env.ok()) << env.error().message();
    env_ = std::move(*env);
  }
  void TearDown() override {
    if (!env_) return;
    Status s = env_->stopProcesses();
    EXPECT_TRUE(s.ok()) << s.error().message();
  }
  Family f() const { return GetParam(); }
  IpAddress pod() const { return Topology::podAddr(f()); }
  IpAddress peer() const { return Topology::peerAddr(f()); }

  std::unique_ptr<PodEnv> env_;
};

TEST_P(HarnessSelfTest, WithoutRulesEverythingIsDirect) {
  EXPECT_TRUE(reachesServer(connectFrom(env_->app(), ep(peer(), kPeerPort)), "peer", kPeerPort));
  EXPECT_TRUE(reachesServer(connectFrom(env_->peer(), ep(pod(), kAppPort)), "app", kAppPort));
  auto dns = queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {f() == Family::kV6});
  EXPECT_TRUE(
      answeredWith(dns, f() == Family::kV4 ? kPeerAnswerV4 : kPeerAnswerV6, ep(peer(), kDnsPort)));
  // Connecting straight to the sidecar: no NAT, so it has no original destination.
  auto direct = connectFrom(env_->app(), ep(pod(), kOutboundPort));
  ASSERT_TRUE(direct.ok()) << direct.error().message();
  EXPECT_EQ(direct->role, "sidecar") << direct->describe();
  EXPECT_EQ(direct->field("orig"), "none") << direct->describe();
}

TEST_P(HarnessSelfTest, ClientReportsRefusedAndTimeout) {
  auto refused = connectFrom(env_->app(), ep(peer(), 7777));
  ASSERT_TRUE(refused.ok()) << refused.error().message();
  EXPECT_EQ(refused->status, Reply::Status::kRefused) << refused->describe();

  // The peer silently drops port 7777: the client must give up on its own timeout.
  const char* tool = f() == Family::kV4 ? "iptables-nft" : "ip6tables-nft";
  ASSERT_TRUE(env_->topo().peer().check(
      tool, {"-A", "INPUT", "-p", "tcp", "--dport", "7777", "-j", "DROP"}));
  auto dropped =
      connectFrom(env_->app(), ep(peer(), 7777), {std::nullopt, std::chrono::milliseconds(300)});
  ASSERT_TRUE(dropped.ok()) << dropped.error().message();
  EXPECT_EQ(dropped->status, Reply::Status::kTimeout) << dropped->describe();
}

// The minimal rule set of the brief: outbound to the peer -> 15001, inbound :80 -> 15006 (IPv6
// 15010), DNS -> 15053; uid 5678 exempt.
std::string minimalRules(Family f) {
  std::string peer = f == Family::kV4 ? "10.0.0.2" : "fd00::2";
  std::string inbound = f == Family::kV4 ? "15006" : "15010";
  return "*nat\n"
         "-A OUTPUT -m owner --uid-owner 5678 -j RETURN\n"
         "-A OUTPUT -p tcp -d " +
         peer +
         " -j REDIRECT --to-ports 15001\n"
         "-A OUTPUT -p udp --dport 53 -j REDIRECT --to-ports 15053\n"
         "-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports " +
         inbound +
         "\n"
         "COMMIT\n";
}

TEST_P(HarnessSelfTest, HandWrittenRedirectsReachTheSidecarWithOriginalDestinations) {
  const char* restore = f() == Family::kV4 ? "iptables-nft-restore" : "ip6tables-nft-restore";
  auto loaded = env_->topo().pod().check(restore, {"--noflush"}, minimalRules(f()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();

  EXPECT_TRUE(landsOnSidecar(connectFrom(env_->app(), ep(peer(), kPeerPort)), kOutboundPort,
                             ep(peer(), kPeerPort)));
  EXPECT_TRUE(
      reachesServer(connectFrom(env_->sidecarUser(), ep(peer(), kPeerPort)), "peer", kPeerPort));
  uint16_t inbound = f() == Family::kV4 ? kInboundPort : kInboundPortV6;
  EXPECT_TRUE(
      landsOnSidecar(connectFrom(env_->peer(), ep(pod(), kAppPort)), inbound, ep(pod(), kAppPort)));
  EXPECT_TRUE(reachesServer(connectFrom(env_->peer(), ep(pod(), kExcludedInboundPort)), "app",
                            kExcludedInboundPort));

  bool v6 = f() == Family::kV6;
  std::string sidecarAnswer = v6 ? kSidecarAnswerV6 : kSidecarAnswerV4;
  // Captured: the sidecar answers, and conntrack makes the answer come from the resolver.
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {v6}), sidecarAnswer,
                           ep(peer(), kDnsPort)));
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->app(), ep(peer(), kDnsPort), {v6, true}),
                           sidecarAnswer, ep(peer(), kDnsPort)));
  EXPECT_TRUE(answeredWith(queryDnsFrom(env_->sidecarUser(), ep(peer(), kDnsPort), {v6}),
                           v6 ? kPeerAnswerV6 : kPeerAnswerV4, ep(peer(), kDnsPort)));
}

INSTANTIATE_TEST_SUITE_P(Families, HarnessSelfTest, ::testing::Values(Family::kV4, Family::kV6),
                         [](const ::testing::TestParamInfo<Family>& p) {
                           return std::string(familyName(p.param));
                         });

TEST(HarnessFixtures, NamespacesAndProcessesAreRemoved) {
  if (!isRoot()) GTEST_SKIP() << "needs root: creates network namespaces";
  std::string podPath, peerPath;
  pid_t sidecarPid = 0;
  {
    auto env = PodEnv::make({"gone"});
    ASSERT_TRUE(env.ok()) << env.error().message();
    podPath = (*env)->topo().pod().path();
    peerPath = (*env)->topo().peer().path();
    ASSERT_TRUE(fs::exists(podPath));
    auto sidecar = startSidecar((*env)->sidecarUser(), SidecarPorts{25001, 25006, 25010, 25053});
    ASSERT_TRUE(sidecar.ok()) << sidecar.error().message();
    sidecarPid = (*sidecar)->pid();
    EXPECT_TRUE((*sidecar)->running());
    (*sidecar).reset();
    EXPECT_NE(::kill(sidecarPid, 0), 0) << "the sidecar was not reaped";
  }
  EXPECT_FALSE(fs::exists(podPath));
  EXPECT_FALSE(fs::exists(peerPath));
}

TEST(HarnessFixtures, ProcessThatCannotStartIsReported) {
  if (!isRoot()) GTEST_SKIP() << "needs root: creates network namespaces";
  auto env = PodEnv::make({"busy", false, false, true});
  ASSERT_TRUE(env.ok()) << env.error().message();
  // Port 80 is already served by the application's server: a second server cannot bind it.
  auto second = startServer((*env)->app(), "second", {kAppPort});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("exited before it was ready"), std::string::npos)
      << second.error().message();
}

TEST(HarnessFixtures, CgroupPlacesProcessesAndIsRemoved) {
  if (!isRoot()) GTEST_SKIP() << "needs root: creates cgroups";
  auto root = testing::findCgroup2Mount();
  if (!root) GTEST_SKIP() << root.error().message();
  std::string dir;
  {
    auto env = PodEnv::make({"cg", true, false, true});
    ASSERT_TRUE(env.ok()) << env.error().message();
    dir = (*env)->installEnv().cgroupDir;
    ASSERT_FALSE(dir.empty());
    // The sidecar and the application's server were started inside it.
    std::ifstream procs(dir + "/cgroup.procs");
    int count = 0;
    for (pid_t pid; procs >> pid;)
      ++count;
    EXPECT_EQ(count, 2);
    // And so are clients: a client placed there reads its own cgroup.
    Placement where = (*env)->app();
    std::vector<std::string> args = placementArgs(where);
    args.insert(args.end(), {"exec", "--", "cat", "/proc/self/cgroup"});
    auto r = sys::run({toolPath(), args, {}, {}, std::chrono::seconds(10), nullptr, nullptr});
    ASSERT_TRUE(r.ok()) << r.error().message();
    std::string rel = dir.substr(root->size());
    EXPECT_NE(r->out.find("0::" + rel + "\n"), std::string::npos) << r->out;
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(HarnessFixtures, BpffsIsMountedAndRemoved) {
  if (!isRoot()) GTEST_SKIP() << "needs root: mounts bpffs";
  std::string path;
  {
    auto b = ScratchBpffs::make(uniqueName("bpffs"));
    ASSERT_TRUE(b.ok()) << b.error().message();
    path = (*b)->path();
    struct statfs st {};
    ASSERT_EQ(::statfs(path.c_str(), &st), 0);
    constexpr long kBpfFsMagic = 0xcafe4a11;
    EXPECT_EQ(static_cast<long>(st.f_type), kBpfFsMagic);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(HarnessFixtures, SweepRemovesNamespacesOfDeadRuns) {
  if (!isRoot()) GTEST_SKIP() << "needs root: creates network namespaces";
  // A pid that surely belongs to nobody: a child we started and reaped.
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  // Created without a fixture, as a crashed run would have left it.
  std::string name = std::string(kNamePrefix) + "-" + std::to_string(dead) + "-0-stale";
  auto ip = sys::findExecutable("ip");
  ASSERT_TRUE(ip.ok());
  auto added = sys::run({*ip, {"netns", "add", name}, {}, {}, std::chrono::seconds(10)});
  ASSERT_TRUE(added.ok() && added->success());
  std::string path = "/run/netns/" + name;
  ASSERT_TRUE(fs::exists(path));
  sweepLeftovers();
  EXPECT_FALSE(fs::exists(path)) << "the stale namespace was not swept";
  // Our own live namespace is left alone.
  auto mine = ScratchNetns::named(uniqueName("live"));
  ASSERT_TRUE(mine.ok());
  sweepLeftovers();
  EXPECT_TRUE(fs::exists((*mine)->path()));
}

}  // namespace
}  // namespace kt::e2e
