// Least privilege: every rule backend works with exactly CAP_NET_ADMIN and CAP_NET_RAW (what
// Kuma's init container is given), as uid 0, already inside the pod's namespace (entering one
// would need CAP_SYS_ADMIN). Without a capability it needs, a run fails with exit 1, a message
// naming the capability, and nothing changed.
//
// The binary runs under capsh, without a shell: the test thread enters the namespace and runs
// `capsh --drop=<every other capability> --caps=<kept>+eip --shell=kuma-tproxy -- ARGS`. capsh
// drops the others from the bounding set, so when it execs the binary as root the kernel grants
// exactly the kept ones (root's file capabilities are masked by the bounding set).
#include <linux/capability.h>

#include <gtest/gtest.h>

#include <fstream>

#include "fault_support.h"

namespace kt::testing {
namespace {

struct Cap {
  int number;
  const char* name;
};
constexpr Cap kNetAdmin{CAP_NET_ADMIN, "cap_net_admin"};
constexpr Cap kNetRaw{CAP_NET_RAW, "cap_net_raw"};

int lastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  in >> last;
  return last;
}

class LeastPrivilege : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    auto capsh = sys::findExecutable("capsh");
    ASSERT_TRUE(capsh.ok()) << "capsh (libcap2-bin, scripts/install-deps.sh) is needed";
    capsh_ = *capsh;
    KT_ASSERT_NEW_NETNS(ns_, "caps");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
    ASSERT_TRUE(loadForeignState(*ns_, GetParam()).ok());
    lock_ = tempPath("xtables") + ".lock";
  }
  void TearDown() override {
    if (!lock_.empty()) ::unlink(lock_.c_str());
  }

  // kuma-tproxy ARGS inside the namespace with exactly the capabilities `keep`.
  sys::ExecResult withCaps(const std::vector<Cap>& keep, std::vector<std::string> args) {
    if (args[0] != "uninstall") args.emplace_back("--kuma-dp-user=5678");
    return run(KT_TPROXY_BINARY, keep, std::move(args));
  }
  // `program` ARGS inside the namespace with exactly the capabilities `keep`.
  sys::ExecResult run(const std::string& program, const std::vector<Cap>& keep,
                      std::vector<std::string> args) {
    std::string drop, kept;
    for (int c = 0; c <= lastCap(); ++c) {
      bool keepIt = false;
      for (const auto& k : keep)
        keepIt = keepIt || k.number == c;
      if (!keepIt) drop += (drop.empty() ? "" : ",") + std::to_string(c);
    }
    for (const auto& k : keep)
      kept += (kept.empty() ? "" : ",") + std::string(k.name);
    sys::ExecRequest req;
    req.path = capsh_;
    req.args = {"--drop=" + drop, "--caps=" + (kept.empty() ? std::string("=") : kept + "+eip"),
                "--shell=" + program, "--"};
    req.args.insert(req.args.end(), args.begin(), args.end());
    req.env = {{"XTABLES_LOCKFILE", lock_}};
    auto guard = sys::NetnsGuard::enter(ns_->path());
    EXPECT_TRUE(guard.ok()) << guard.error().message();
    auto r = sys::run(req);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : sys::ExecResult{};
  }
  std::vector<std::string> cmd(const std::string& sub) const { return {sub, GetParam().flag()}; }
  std::string state() { return describe(snapshotState(*ns_, GetParam())); }

  std::string capsh_;
  std::unique_ptr<ScratchNetns> ns_;
  std::string lock_;
};

TEST_P(LeastPrivilege, NetAdminAndNetRawAreEnough) {
  // The way the binary is started really limits it: capsh started the same way reports its
  // own sets.
  auto print = run(capsh_, {kNetAdmin, kNetRaw}, {"--print"});
  ASSERT_EQ(print.exitCode, 0) << print.err;
  EXPECT_NE(print.out.find("Current: cap_net_admin,cap_net_raw=eip\n"), std::string::npos)
      << print.out;
  EXPECT_NE(print.out.find("Bounding set =cap_net_admin,cap_net_raw\n"), std::string::npos)
      << print.out;

  std::string before = state();
  auto install = withCaps({kNetAdmin, kNetRaw}, cmd("install"));
  ASSERT_EQ(install.exitCode, 0) << install.err;
  EXPECT_NE(state(), before);
  auto verify = withCaps({kNetAdmin, kNetRaw}, cmd("verify"));
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  auto again = withCaps({kNetAdmin, kNetRaw}, cmd("install"));
  EXPECT_EQ(again.exitCode, 0) << again.err;
  auto un = withCaps({kNetAdmin, kNetRaw}, cmd("uninstall"));
  ASSERT_EQ(un.exitCode, 0) << un.err;
  EXPECT_EQ(state(), before);
}

TEST_P(LeastPrivilege, WithoutNetAdminNothingChangesAndTheMessageNamesIt) {
  std::string before = state();
  for (const char* sub : {"install", "verify", "uninstall"}) {
    auto r = withCaps({kNetRaw}, cmd(sub));
    EXPECT_EQ(r.exitCode, 1) << sub << ": " << r.err;
    EXPECT_NE(r.err.find("needs the CAP_NET_ADMIN capability"), std::string::npos)
        << sub << ": " << r.err;
  }
  EXPECT_EQ(state(), before);
  EXPECT_FALSE(hasPassthroughAddress(*ns_));
}

TEST_P(LeastPrivilege, WithoutNetRawOnlyLegacyFailsAndSaysWhy) {
  std::string before = state();
  auto r = withCaps({kNetAdmin}, cmd("install"));
  if (GetParam().name != "iptables-legacy") {
    // Netlink needs CAP_NET_ADMIN only: iptables-nft and nftables do without CAP_NET_RAW.
    EXPECT_EQ(r.exitCode, 0) << r.err;
    auto verify = withCaps({kNetAdmin}, cmd("verify"));
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
    auto un = withCaps({kNetAdmin}, cmd("uninstall"));
    EXPECT_EQ(un.exitCode, 0) << un.err;
    EXPECT_EQ(state(), before);
    return;
  }
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("iptables-legacy needs the CAP_NET_RAW capability"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("you must be root"), std::string::npos) << r.err;
  EXPECT_EQ(state(), before);
  EXPECT_FALSE(hasPassthroughAddress(*ns_));
  // With the namespace holding legacy rules, reading them needs CAP_NET_RAW too: uninstall
  // says so instead of passing iptables-legacy-save's "Permission denied (you must be root)".
  auto un = withCaps({kNetAdmin}, cmd("uninstall"));
  EXPECT_EQ(un.exitCode, 1) << un.err;
  EXPECT_NE(un.err.find("CAP_NET_RAW"), std::string::npos) << un.err;
  EXPECT_EQ(state(), before);
}

INSTANTIATE_TEST_SUITE_P(RuleBackends, LeastPrivilege, ::testing::ValuesIn(ruleBackends()),
                         backendParamName);

}  // namespace
}  // namespace kt::testing
