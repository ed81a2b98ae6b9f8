// Concurrency, for every rule backend:
// - 20 installs into 20 namespaces at once, as a node starting pods through CNI (CNI mode: the
//   per-exec sandbox, the per-namespace xtables lock): all succeed and each namespace verifies.
//   The wall time is printed (for README), never asserted.
// - 5 installs into the same namespace at once: all succeed (the namespace lock serializes
//   them) and the namespace holds exactly what one install creates: the saved rules equal, line
//   for line, those of a namespace that saw a single install.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "fault_support.h"

namespace kt::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Concurrency : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    becomeSubreaper();
    config_ = tempPath("cni-config") + ".yaml";
    std::ofstream(config_) << "cniMode: true\n";
  }
  void TearDown() override {
    if (!config_.empty()) ::unlink(config_.c_str());
  }
  std::unique_ptr<ScratchNetns> pod(const std::string& tag) {
    auto ns = ScratchNetns::make(tag);
    EXPECT_TRUE(ns.ok()) << ns.error().message();
    if (!ns) return nullptr;
    EXPECT_TRUE((*ns)->addIpv6Interface().ok());
    EXPECT_TRUE(loadForeignState(**ns, GetParam()).ok());
    return std::move(*ns);
  }
  std::vector<std::string> cniInstall(const ScratchNetns& ns, const std::string& sub) const {
    return inNetns(ns, {sub, GetParam().flag(), "--config-file", config_,
                        "--redirect-all-dns-traffic", "--exclude-inbound-ports=9001"});
  }
  // Starts every command at once, waits for all; returns the wall time and the logs.
  std::pair<std::chrono::milliseconds, std::vector<std::string>> runAll(
      const std::vector<std::vector<std::string>>& commands) {
    std::vector<std::string> logs;
    for (size_t i = 0; i < commands.size(); ++i)
      logs.push_back(tempPath("conc-log"));
    std::vector<Spawned> runs;
    auto start = Clock::now();
    for (size_t i = 0; i < commands.size(); ++i) {
      auto r = Spawned::start(KT_TPROXY_BINARY, commands[i], {}, logs[i]);
      if (!r) {
        ADD_FAILURE() << r.error().message();
        continue;
      }
      runs.push_back(std::move(*r));
    }
    std::vector<int> status;
    for (auto& r : runs)
      status.push_back(r.waitAll());
    auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    std::vector<std::string> texts;
    for (size_t i = 0; i < logs.size(); ++i) {
      texts.push_back(readFile(logs[i]));
      ::unlink(logs[i].c_str());
      if (i < status.size()) {
        EXPECT_TRUE(WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0) << "run " << i << ":\n"
                                                                         << texts.back();
      }
    }
    return {wall, texts};
  }

  std::string config_;
};

TEST_P(Concurrency, TwentyNamespacesAtOnce) {
  constexpr int kPods = 20;
  std::vector<std::unique_ptr<ScratchNetns>> pods;
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kPods; ++i) {
    pods.push_back(pod("conc20"));
    ASSERT_TRUE(pods.back());
    commands.push_back(cniInstall(*pods.back(), "install"));
  }
  auto [wall, logs] = runAll(commands);
  std::cout << "[ wall     ] " << GetParam().name << ": " << kPods
            << " installs into 20 namespaces at once took " << wall.count() << " ms" << std::endl;
  RecordProperty("wall_ms", std::to_string(wall.count()));
  for (auto& p : pods) {
    auto v = runTproxy(cniInstall(*p, "verify"));
    EXPECT_EQ(v.exitCode, 0) << p->name() << ": " << v.out << v.err;
  }
}

TEST_P(Concurrency, FiveInstallsIntoOneNamespaceEndInOneRuleset) {
  auto reference = pod("conc1");
  auto shared = pod("conc5");
  ASSERT_TRUE(reference && shared);
  auto once = runTproxy(cniInstall(*reference, "install"));
  ASSERT_EQ(once.exitCode, 0) << once.err;
  Snapshot single = snapshotState(*reference, GetParam());

  std::vector<std::vector<std::string>> commands(5, cniInstall(*shared, "install"));
  auto [wall, logs] = runAll(commands);
  int waited = 0;
  for (const auto& l : logs)
    waited += l.find("waiting for the lock of this network namespace") != std::string::npos;
  std::cout << "[ wall     ] " << GetParam().name << ": 5 installs into one namespace took "
            << wall.count() << " ms; " << waited << " of them waited for the namespace lock"
            << std::endl;

  EXPECT_EQ(describe(snapshotState(*shared, GetParam())), describe(single))
      << "no duplicates: exactly the rules of one install";
  auto v = runTproxy(cniInstall(*shared, "verify"));
  EXPECT_EQ(v.exitCode, 0) << v.out << v.err;
}

INSTANTIATE_TEST_SUITE_P(RuleBackends, Concurrency, ::testing::ValuesIn(ruleBackends()),
                         backendParamName);

}  // namespace
}  // namespace kt::testing
