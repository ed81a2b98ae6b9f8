// The IPv6 restore fails after the IPv4 one succeeded, at the command line: the IPv4 rules are
// rolled back, so the saved rules of both families are byte for byte what they were before
// (on a namespace with foreign rules, fresh or holding a previous installation).
// ip6tables-<mode>-restore is a kt_fault_tool that reads its input and fails.
#include <gtest/gtest.h>

#include "base/strings.h"
#include "fault_support.h"

namespace kt::testing {
namespace {

class Ipv6RestoreFails : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "v6fail");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
    ASSERT_TRUE(loadForeignState(*ns_, GetParam()).ok());
    lock_ = tempPath("xtables") + ".lock";
    stubs_.stub("ip6tables-" + GetParam().mode() + "-restore");
  }
  void TearDown() override {
    if (!lock_.empty()) ::unlink(lock_.c_str());
  }
  // The rich configuration touches raw, nat and mangle in both families.
  sys::ExecResult install(bool failIpv6, std::vector<std::string> config) {
    std::vector<std::string> args{"install", GetParam().flag(), "--max-retries=0"};
    args.insert(args.end(), config.begin(), config.end());
    Env env{{"XTABLES_LOCKFILE", lock_}};
    if (failIpv6) env = stubs_.env({{"XTABLES_LOCKFILE", lock_}, {"KT_FAULT_TOOL_MODE", "fail"}});
    return runTproxy(inNetns(*ns_, args), env);
  }
  // The complete *-save output of both families (comment lines and counters aside).
  std::string saved() { return describe(snapshotState(*ns_, GetParam())); }
  std::string savedIpv4() {
    auto out = ns_->check("iptables-" + GetParam().mode() + "-save", {});
    EXPECT_TRUE(out.ok());
    std::string text = out.ok() ? *out : "", kept;
    for (auto line : split(text, '\n')) {
      std::string l(line);
      if (l.empty() || l[0] == '#') continue;
      if (l[0] == ':') l = l.substr(0, l.rfind('[')) + "[0:0]";
      kept += l + "\n";
    }
    return kept;
  }
  static std::vector<std::string> rich() {
    return {"--redirect-all-dns-traffic", "--drop-invalid-packets", "--exclude-inbound-ports=22",
            "--exclude-outbound-ips=10.0.0.0/8,fd00::/8"};
  }
  void expectFailedOnIpv6(const sys::ExecResult& r) {
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find("installing IPv6 rules"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("injected by kt_fault_tool"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("restoring the previous IPv4 rules"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("rollback failed"), std::string::npos) << r.err;
  }

  std::unique_ptr<ScratchNetns> ns_;
  std::string lock_;
  StubDir stubs_;
};

TEST_P(Ipv6RestoreFails, FreshNamespaceKeepsItsRules) {
  std::string v4 = savedIpv4(), all = saved();
  ASSERT_NE(v4.find("FOREIGN_CHAIN"), std::string::npos) << v4;
  auto r = install(true, rich());
  expectFailedOnIpv6(r);
  EXPECT_EQ(savedIpv4(), v4);
  EXPECT_EQ(saved(), all);
  EXPECT_FALSE(hasPassthroughAddress(*ns_)) << "the address added for IPv6 is taken back";
}

TEST_P(Ipv6RestoreFails, PreviousInstallationComesBackUnchanged) {
  auto previous = install(false, {"--redirect-outbound-port=15002"});
  ASSERT_EQ(previous.exitCode, 0) << previous.err;
  std::string v4 = savedIpv4(), all = saved();
  ASSERT_NE(v4.find("--to-ports 15002"), std::string::npos) << v4;

  auto r = install(true, rich());
  expectFailedOnIpv6(r);
  EXPECT_EQ(savedIpv4(), v4);
  EXPECT_EQ(saved(), all);
  auto verify =
      runTproxy(inNetns(*ns_, {"verify", GetParam().flag(), "--redirect-outbound-port=15002"}),
                {{"XTABLES_LOCKFILE", lock_}});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

INSTANTIATE_TEST_SUITE_P(IptablesModes, Ipv6RestoreFails,
                         ::testing::Values(BackendCase{"iptables-nft"},
                                           BackendCase{"iptables-legacy"}),
                         backendParamName);

}  // namespace
}  // namespace kt::testing
