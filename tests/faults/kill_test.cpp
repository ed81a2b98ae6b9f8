// SIGKILL at random moments during `kuma-tproxy install`, 100 rounds per rule backend (a node
// under memory pressure, a runtime giving up on a CNI call, a pod deleted while it starts).
//
// Each round puts the namespace into a previous state (nothing of ours, configuration A or
// configuration B; foreign rules are always there), starts an install of another configuration,
// kills it after a random delay and waits until every process it started has exited. Then:
//
// 1. Every unit of kernel state must equal its previous or its new version. A unit is what the
//    kernel changes atomically: for nftables the whole ruleset (one batch); for the iptables
//    backends one table of one family, since *-restore commits table by table and each family
//    is its own restore. So "complete" means: each table of each family is entirely old or
//    entirely new, never a table with half of our rules. A kill between the IPv4 and the IPv6
//    restore legitimately leaves IPv4 new and IPv6 old (see docs/faults.md).
// 2. If IPv6 redirection rules are there, the ::6 address they rely on is there too.
// 3. The next run repairs whatever the kill left: a following install ends in exactly the new
//    reference state and verifies, or a following uninstall in exactly the foreign state.
//
// Half of the rounds kill the whole process group (a container being killed), half only the
// main process, so that an iptables-restore it started runs on as an orphan. The delays come from
// a seeded generator; the seed is printed and failures name it (KT_FAULTS_SEED=N reruns the same
// sequence, KT_FAULTS_ROUNDS=N changes the count).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "fault_support.h"

namespace kt::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kNone = 0;  // states: nothing of ours, configuration A, configuration B

uint64_t envNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

class KilledInstall : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    becomeSubreaper();
    KT_ASSERT_NEW_NETNS(ns_, "kill");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
    ASSERT_TRUE(loadForeignState(*ns_, GetParam()).ok());
    lock_ = tempPath("xtables") + ".lock";
    log_ = tempPath("kill-log");
  }
  void TearDown() override {
    for (const auto* f : {&lock_, &log_})
      if (!f->empty()) ::unlink(f->c_str());
  }

  // A touches raw (DNS conntrack zones), nat and mangle (invalid packets) in both families; B
  // only nat, with other ports: going from one to the other changes every table.
  std::vector<std::string> configArgs(int state) const {
    if (state == 1) {
      return {"--redirect-all-dns-traffic", "--drop-invalid-packets", "--iptables-logs",
              "--exclude-inbound-ports=22", "--exclude-outbound-ips=10.0.0.0/8,fd00::/8"};
    }
    return {"--redirect-outbound-port=15002", "--redirect-inbound-port=15007",
            "--exclude-outbound-ports=443,8443"};
  }
  std::vector<std::string> installArgs(int state) const {
    std::vector<std::string> args{"install", GetParam().flag()};
    auto c = configArgs(state);
    args.insert(args.end(), c.begin(), c.end());
    return inNetns(*ns_, args);
  }
  Env env() const { return {{"XTABLES_LOCKFILE", lock_}}; }

  // Puts the namespace into `state` with undisturbed runs.
  void establish(int state) {
    if (state == kNone) {
      auto un = runTproxy(inNetns(*ns_, {"uninstall", GetParam().flag()}), env());
      ASSERT_EQ(un.exitCode, 0) << un.err;
      // Back to a namespace that never saw an install: the kill check below then proves that
      // IPv6 rules never appear without the address.
      if (hasPassthroughAddress(*ns_)) {
        ASSERT_TRUE(ns_->ip({"-6", "addr", "del", "::6/128", "dev", "lo"}).ok());
      }
      return;
    }
    auto r = runTproxy(installArgs(state), env());
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  void expectVerifies(int state) {
    std::vector<std::string> args{"verify", GetParam().flag()};
    auto c = configArgs(state);
    args.insert(args.end(), c.begin(), c.end());
    auto r = runTproxy(inNetns(*ns_, args), env());
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  }

  std::unique_ptr<ScratchNetns> ns_;
  std::string lock_, log_;
};

TEST_P(KilledInstall, LeavesThePreviousOrTheNewCompleteStateAndTheNextRunRepairs) {
  const uint64_t seed = envNumber("KT_FAULTS_SEED", std::random_device{}());
  const uint64_t rounds = envNumber("KT_FAULTS_ROUNDS", 100);
  std::cout << "[ seed     ] " << GetParam().name << ": KT_FAULTS_SEED=" << seed << std::endl;
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (rerun with KT_FAULTS_SEED=" + std::to_string(seed) + ")");
  const BackendCase& b = GetParam();

  Snapshot ref[3];
  for (int s : {kNone, 1, 2}) {
    ASSERT_NO_FATAL_FAILURE(establish(s));
    ref[s] = snapshotState(*ns_, b);
    if (s != kNone) expectVerifies(s);
  }
  ASSERT_NE(describe(ref[1]), describe(ref[kNone]));
  ASSERT_NE(describe(ref[2]), describe(ref[1]));

  // The kill window: a little more than the quickest of a few undisturbed installs, so that
  // kills land everywhere from process start to exit (this measures, it asserts nothing).
  auto window = std::chrono::microseconds::max();
  for (int s : {kNone, 1, kNone, 1}) {
    ASSERT_NO_FATAL_FAILURE(establish(s));
    auto start = Clock::now();
    auto r = runTproxy(installArgs(2), env());
    window = std::min(window,
                      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start));
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  window = window * 6 / 5;

  std::mt19937_64 rng(seed);
  int wholePrevious = 0, wholeNew = 0, mixed = 0, finished = 0;
  for (uint64_t round = 0; round < rounds; ++round) {
    int prev = static_cast<int>(rng() % 3);
    int next = 1 + static_cast<int>(rng() % 2);
    if (next == prev) next = 3 - next;
    auto delay = std::chrono::microseconds(rng() % (window.count() + 1));
    bool wholeGroup = rng() % 2 == 0;
    bool thenInstall = rng() % 2 == 0;
    std::string where = "round " + std::to_string(round) + ": state " + std::to_string(prev) +
                        " -> " + std::to_string(next) + ", killed " +
                        (wholeGroup ? "with its process group" : "alone") + " after " +
                        std::to_string(delay.count()) + " us";
    SCOPED_TRACE(where);

    ASSERT_NO_FATAL_FAILURE(establish(prev));
    ASSERT_EQ(describe(snapshotState(*ns_, b)), describe(ref[prev]));

    auto run = Spawned::start(KT_TPROXY_BINARY, installArgs(next), env(), log_);
    ASSERT_TRUE(run.ok()) << run.error().message();
    std::this_thread::sleep_for(delay);
    if (wholeGroup) {
      run->killGroup();
    } else {
      run->killMain();
    }
    int status = run->waitAll();
    if (WIFEXITED(status)) {
      ++finished;
      ASSERT_EQ(WEXITSTATUS(status), 0) << readFile(log_);
    }

    Snapshot got = snapshotState(*ns_, b);
    std::string bad = unitsInNeither(got, ref[prev], ref[next]);
    ASSERT_TRUE(bad.empty()) << bad << "-- log of the killed run:\n" << readFile(log_);
    if (describe(got).find("::6") != std::string::npos) {
      ASSERT_TRUE(hasPassthroughAddress(*ns_)) << "IPv6 rules without ::6 on lo\n" << describe(got);
    }
    if (describe(got) == describe(ref[prev])) {
      ++wholePrevious;
    } else if (describe(got) == describe(ref[next])) {
      ++wholeNew;
    } else {
      ++mixed;
    }

    if (thenInstall) {
      auto again = runTproxy(installArgs(next), env());
      ASSERT_EQ(again.exitCode, 0) << again.err;
      ASSERT_EQ(describe(snapshotState(*ns_, b)), describe(ref[next]));
      expectVerifies(next);
    } else {
      auto un = runTproxy(inNetns(*ns_, {"uninstall", b.flag()}), env());
      ASSERT_EQ(un.exitCode, 0) << un.err;
      ASSERT_EQ(describe(snapshotState(*ns_, b)), describe(ref[kNone]));
    }
  }
  std::cout << "[ outcome  ] " << b.name << ": " << rounds << " rounds, kill window "
            << window.count() << " us: previous state " << wholePrevious << ", new state "
            << wholeNew << " (" << finished << " of them finished before the kill), mixed by "
            << "unit " << mixed << std::endl;
}

INSTANTIATE_TEST_SUITE_P(RuleBackends, KilledInstall, ::testing::ValuesIn(ruleBackends()),
                         backendParamName);

}  // namespace
}  // namespace kt::testing
