// A run killed while the iptables-restore it started is still working (a CNI runtime kills the
// plugin process on timeout; its children live on). The orphaned tool inherited the namespace
// lock, so the next run waits for it instead of reading a state that is about to change, and
// ends with its own complete ruleset. Deterministic: iptables-<mode>-restore is a kt_fault_tool
// that pauses until the test lets it go.
#include <fcntl.h>

#include <gtest/gtest.h>

#include <thread>

#include "fault_support.h"

namespace kt::testing {
namespace {

using namespace std::chrono_literals;

class OrphanedTool : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    becomeSubreaper();
    KT_ASSERT_NEW_NETNS(ns_, "orphan");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
    ASSERT_TRUE(loadForeignState(*ns_, GetParam()).ok());
    started_ = tempPath("started");
    go_ = tempPath("go");
    lock_ = tempPath("xtables") + ".lock";
    for (auto& l : {&log1_, &log2_})
      *l = tempPath("log");
    stubs_.stub("iptables-" + GetParam().mode() + "-restore");
  }
  void TearDown() override {
    for (const auto* f : {&started_, &go_, &lock_, &log1_, &log2_})
      if (!f->empty()) ::unlink(f->c_str());
  }
  Env env() const {
    return stubs_.env({{"KT_FAULT_TOOL_MODE", "pause"},
                       {"KT_FAULT_TOOL_STARTED", started_},
                       {"KT_FAULT_TOOL_GO", go_},
                       {"XTABLES_LOCKFILE", lock_}});
  }
  std::vector<std::string> install(const std::string& outboundPort) const {
    return inNetns(*ns_,
                   {"install", GetParam().flag(), "--redirect-outbound-port=" + outboundPort});
  }
  static bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

  std::unique_ptr<ScratchNetns> ns_;
  std::string started_, go_, lock_, log1_, log2_;
  StubDir stubs_;
};

TEST_P(OrphanedTool, NextRunWaitsForItAndEndsComplete) {
  auto first = Spawned::start(KT_TPROXY_BINARY, install("15002"), env(), log1_);
  ASSERT_TRUE(first.ok()) << first.error().message();
  // Hang guards only (a broken stub or binary), not timing assertions.
  for (int i = 0; i < 60000 && !exists(started_) && !first->exited(); ++i)
    std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(exists(started_)) << "the IPv4 restore never started:\n" << readFile(log1_);
  // The run dies; its paused iptables-restore lives on (reparented to this test).
  first->killMain();

  auto second = Spawned::start(KT_TPROXY_BINARY, install("15003"), env(), log2_);
  ASSERT_TRUE(second.ok()) << second.error().message();
  bool waited = false;
  for (int i = 0; i < 60000 && !second->exited(); ++i) {
    if (readFile(log2_).find("waiting for the lock of this network namespace") !=
        std::string::npos) {
      waited = true;
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  // Let the orphan apply the first run's IPv4 rules and exit.
  ::close(::open(go_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  first->waitAll();
  int status = second->waitAll();
  std::string log = readFile(log2_);
  EXPECT_TRUE(waited) << "the next run did not wait for the orphaned tool:\n" << log;
  EXPECT_NE(log.find("held by pid"), std::string::npos) << log;
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_EQ(WEXITSTATUS(status), 0) << log;

  // The second configuration, complete, in both families.
  auto verify =
      runTproxy(inNetns(*ns_, {"verify", GetParam().flag(), "--redirect-outbound-port=15003"}),
                {{"XTABLES_LOCKFILE", lock_}});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  std::string state = describe(snapshotState(*ns_, GetParam()));
  EXPECT_EQ(state.find("--to-ports 15002"), std::string::npos) << state;
}

INSTANTIATE_TEST_SUITE_P(IptablesModes, OrphanedTool,
                         ::testing::Values(BackendCase{"iptables-nft"},
                                           BackendCase{"iptables-legacy"}),
                         backendParamName);

}  // namespace
}  // namespace kt::testing
