// CNI mode (kuma.md 6.4): every tool runs in a private mount namespace with /dev/null over
// /etc/nsswitch.conf, and legacy iptables uses a lock per pod network namespace instead of the
// host-wide one.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "backend/iptables/tool_runner.h"
#include "test_support.h"

namespace kt::testing {
namespace {

using backend::iptables::Mode;

TEST(CniSandbox, ToolsRunInAPrivateMountNamespaceWithoutNss) {
  KT_REQUIRE_ROOT();
  backend::iptables::RunSettings s;
  s.sandbox = true;
  s.lockFile = "/run/netns/example";
  backend::iptables::ToolRunner runner(s);
  backend::iptables::Tools fake;
  fake.save = KT_SANDBOX_PROBE;
  auto out = runner.save(fake);
  ASSERT_TRUE(out.ok()) << out.error().message();
  struct stat mine {};
  ASSERT_EQ(::stat("/proc/self/ns/mnt", &mine), 0);
  EXPECT_NE(out->find("lockfile=/run/netns/example\n"), std::string::npos) << *out;
  EXPECT_NE(out->find("nsswitch=devnull\n"), std::string::npos) << *out;
  EXPECT_EQ(out->find("mntns=" + std::to_string(mine.st_ino) + "\n"), std::string::npos) << *out;

  // Nothing leaked into our mount namespace.
  auto plain = backend::iptables::ToolRunner(backend::iptables::RunSettings{}).save(fake);
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->find("mntns=" + std::to_string(mine.st_ino) + "\n"), std::string::npos);
  struct stat host {};
  if (::stat("/etc/nsswitch.conf", &host) == 0) {
    EXPECT_FALSE(S_ISCHR(host.st_mode));
  }
}

class CniLock : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "cni");
    // Stands for the host's /run/xtables.lock (which the test must not hold: other tests use it).
    hostLock_ = "/tmp/kt-ipt-hostlock-" + std::to_string(::getpid());
    env_ = std::make_unique<ScopedEnv>("XTABLES_LOCKFILE", hostLock_);
  }
  void TearDown() override {
    env_.reset();
    if (!hostLock_.empty()) ::unlink(hostLock_.c_str());
  }
  config::RunOptions cniRun() {
    config::RunOptions run;
    run.cniMode = true;
    run.netnsPath = ns_->path();
    return run;
  }
  config::Config cniConfig() {
    config::Config cfg = testConfig();
    cfg.ipFamilyMode = config::IpFamilyMode::kIpv4;
    cfg.waitSeconds = 1;
    return cfg;
  }
  std::unique_ptr<ScratchNetns> ns_;
  std::string hostLock_;
  std::unique_ptr<ScopedEnv> env_;
};

TEST_F(CniLock, TheHostLockDoesNotBlockAPod) {
  FlockHolder host(hostLock_);
  auto st = installIn(*ns_, cniConfig(), Mode::kLegacy, cniRun());
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_NE(snapshot(*ns_, "iptables-legacy-save").find("KUMA_MESH"), std::string::npos);
}

TEST_F(CniLock, ThePodsOwnLockIsTheNetworkNamespaceFile) {
  FlockHolder pod(ns_->path());
  auto st = installIn(*ns_, cniConfig(), Mode::kLegacy, cniRun());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("xtables lock"), std::string::npos) << st.error().message();
  EXPECT_NE(st.error().hint().find(ns_->path()), std::string::npos) << st.error().hint();
  EXPECT_EQ(snapshot(*ns_, "iptables-legacy-save").find("KUMA_MESH"), std::string::npos);
}

}  // namespace
}  // namespace kt::testing
