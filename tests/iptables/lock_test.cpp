// The xtables lock (legacy): --wait, the retry loop and XTABLES_LOCKFILE, with the lock held by a
// process the test starts (on a private lock file, never the host's).
#include <gtest/gtest.h>

#include "test_support.h"

namespace kt::testing {
namespace {

using backend::iptables::Mode;

class XtablesLock : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "lock");
    lock_ = "/tmp/kt-ipt-lock-" + std::to_string(::getpid());
    env_ = std::make_unique<ScopedEnv>("XTABLES_LOCKFILE", lock_);
  }
  void TearDown() override {
    env_.reset();
    if (!lock_.empty()) ::unlink(lock_.c_str());
  }
  config::Config lockConfig(uint32_t retries) {
    config::Config cfg = testConfig();
    cfg.ipFamilyMode = config::IpFamilyMode::kIpv4;
    cfg.waitSeconds = 1;
    cfg.retry.maxRetries = retries;
    cfg.retry.sleepBetweenRetries = std::chrono::milliseconds(10);
    return cfg;
  }
  std::unique_ptr<ScratchNetns> ns_;
  std::string lock_;
  std::unique_ptr<ScopedEnv> env_;
};

TEST_F(XtablesLock, HeldLockFailsAfterTheRetries) {
  FlockHolder holder(lock_);
  LogCapture logs;
  auto st = installIn(*ns_, lockConfig(1), Mode::kLegacy);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(st.error().message().find("failed 2 times"), std::string::npos) << st.error().message();
  EXPECT_NE(st.error().message().find("xtables lock"), std::string::npos) << st.error().message();
  EXPECT_NE(logs.text().find("[1/2]"), std::string::npos) << logs.text();
  EXPECT_NE(logs.text().find("--wait=1"), std::string::npos) << logs.text();
  EXPECT_EQ(snapshot(*ns_, "iptables-legacy-save").find("KUMA_MESH"), std::string::npos);
}

TEST_F(XtablesLock, ALockReleasedBetweenAttemptsIsRetried) {
  FlockHolder holder(lock_);
  // The holder lets go as soon as the first attempt has failed: no timing involved.
  LogCapture logs([&](const std::string& line) {
    if (line.find("will try again") != std::string::npos) holder.release();
  });
  auto st = installIn(*ns_, lockConfig(3), Mode::kLegacy);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_NE(logs.text().find("[1/4]"), std::string::npos);
  EXPECT_NE(snapshot(*ns_, "iptables-legacy-save").find("KUMA_MESH"), std::string::npos);
}

}  // namespace
}  // namespace kt::testing
