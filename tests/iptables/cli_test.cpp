// The command line the e2e tests and the demo use: `kuma-tproxy install|verify|uninstall
// --backend iptables[-legacy|-nft] --netns PATH`, with its exit codes and stdout.
#include <gtest/gtest.h>

#include "test_support.h"

namespace kt::testing {
namespace {

class IptablesCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "cli");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
  }
  sys::ExecResult tproxy(std::vector<std::string> args) {
    sys::ExecRequest req;
    req.path = KT_TPROXY_BINARY;
    req.args = std::move(args);
    req.args.insert(req.args.begin() + 1, {"--netns", ns_->path()});
    if (req.args[0] != "uninstall") req.args.push_back("--kuma-dp-user=5678");
    auto r = sys::run(req);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : sys::ExecResult{};
  }
  std::string backend() const { return "--backend=iptables-" + GetParam(); }
  std::unique_ptr<ScratchNetns> ns_;
};

TEST_P(IptablesCli, InstallVerifyUninstall) {
  auto install = tproxy({"install", backend(), "--redirect-all-dns-traffic"});
  ASSERT_EQ(install.exitCode, 0) << install.err;
  EXPECT_EQ(install.out, "");
  std::string v4 = snapshot(*ns_, modeTool(GetParam(), Family::kV4, "-save"));
  EXPECT_NE(v4.find("-j REDIRECT --to-ports 15053"), std::string::npos) << v4;

  auto again = tproxy({"install", backend(), "--redirect-all-dns-traffic"});
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(snapshot(*ns_, modeTool(GetParam(), Family::kV4, "-save")), v4);

  auto ok = tproxy({"verify", backend(), "--redirect-all-dns-traffic"});
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
  EXPECT_EQ(ok.out, "");

  // Another configuration: verify prints the differences on stdout and exits 1.
  auto differs = tproxy({"install", "--verify", backend()});
  EXPECT_EQ(differs.exitCode, 1) << differs.err;
  EXPECT_NE(differs.out.find("+ unexpected in IPv4 nat: -A OUTPUT -p udp -m udp --dport 53"),
            std::string::npos)
      << differs.out;
  EXPECT_NE(differs.out.find("+ unexpected in IPv6 raw: "), std::string::npos) << differs.out;

  auto un = tproxy({"uninstall"});
  ASSERT_EQ(un.exitCode, 0) << un.err;
  for (Family f : {Family::kV4, Family::kV6}) {
    EXPECT_EQ(snapshot(*ns_, modeTool(GetParam(), f, "-save")).find("kuma"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, IptablesCli, ::testing::Values("legacy", "nft"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(IptablesCliAuto, DefaultBackendInAFreshNamespace) {
  KT_REQUIRE_ROOT();
  auto ns = ScratchNetns::make("cliauto");
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  ASSERT_TRUE((*ns)->addIpv6Interface().ok());
  sys::ExecRequest req;
  req.path = KT_TPROXY_BINARY;
  req.args = {"install", "--netns", (*ns)->path(), "--kuma-dp-user=5678"};
  auto r = sys::run(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exitCode, 0) << r->err;
  EXPECT_NE(r->err.find("using iptables-nft"), std::string::npos) << r->err;
  EXPECT_NE(snapshot(**ns, "ip6tables-nft-save").find("--to-ports 15010"), std::string::npos);
}

}  // namespace
}  // namespace kt::testing
