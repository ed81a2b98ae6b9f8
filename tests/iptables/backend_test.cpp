// The iptables backend against the real tools in throwaway namespaces: idempotent install,
// uninstall that leaves foreign rules byte-identical, verify, rollback, IPv6 gating and the
// number of programs a default install runs.
#include <gtest/gtest.h>

#include <string>

#include "support/largest_lists.h"
#include "test_support.h"

namespace kt::testing {
namespace {

using backend::iptables::Mode;

class IptablesBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "ipt");
    ASSERT_TRUE(ns_->addIpv6Interface().ok());
  }
  std::string mode() const { return GetParam(); }
  Mode backendMode() const { return modeOf(mode()); }
  std::string save(Family f) { return snapshot(*ns_, modeTool(mode(), f, "-save")); }
  // All four save outputs: both modes, both families.
  std::string saveAll() {
    std::string out;
    for (const char* m : {"legacy", "nft"})
      for (Family f : {Family::kV4, Family::kV6})
        out += "== " + modeTool(m, f) + "\n" + snapshot(*ns_, modeTool(m, f, "-save"));
    return out;
  }

  std::unique_ptr<ScratchNetns> ns_;
};

config::Config richConfig() {
  config::Config cfg = testConfig();
  cfg.logs = true;
  cfg.dropInvalidPackets = true;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  cfg.inbound.excludePorts = {{22, 22}};
  cfg.outbound.excludeIps = {*Cidr::parse("10.0.0.0/8"), *Cidr::parse("fd00::/8")};
  cfg.outbound.excludePortsForUids = {{{config::Protocol::kTcp}, {{80, 80}}, {1000, 1000}}};
  return cfg;
}

TEST_P(IptablesBackend, InstallTwiceEqualsOnce) {
  config::Config cfg = richConfig();
  auto first = installIn(*ns_, cfg, backendMode());
  ASSERT_TRUE(first.ok()) << first.error().message();
  std::string v4 = save(Family::kV4), v6 = save(Family::kV6);
  EXPECT_NE(v4.find(":KUMA_MESH_OUTBOUND"), std::string::npos) << v4;
  EXPECT_NE(v6.find("-j REDIRECT --to-ports 15010"), std::string::npos) << v6;
  EXPECT_NE(v4.find("*raw"), std::string::npos);
  EXPECT_NE(v4.find("*mangle"), std::string::npos);

  auto second = installIn(*ns_, cfg, backendMode());
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(save(Family::kV4), v4);
  EXPECT_EQ(save(Family::kV6), v6);

  // Envoy's IPv6 passthrough source is local.
  auto addrs = ns_->check("ip", {"-6", "addr", "show", "dev", "lo"});
  ASSERT_TRUE(addrs.ok());
  EXPECT_NE(addrs->find("inet6 ::6/128"), std::string::npos) << *addrs;
}

TEST_P(IptablesBackend, ReinstallWithAnotherConfigReplacesThePreviousOne) {
  ASSERT_TRUE(installIn(*ns_, richConfig(), backendMode()).ok());
  config::Config plain = testConfig();
  auto st = installIn(*ns_, plain, backendMode());
  ASSERT_TRUE(st.ok()) << st.error().message();
  std::string v4 = save(Family::kV4);
  EXPECT_EQ(v4.find("CT --zone"), std::string::npos) << v4;
  EXPECT_EQ(v4.find("-j LOG"), std::string::npos) << v4;
  EXPECT_EQ(v4.find("--ctstate INVALID"), std::string::npos) << v4;
  auto report = verifyIn(*ns_, plain, backendMode());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->differences);
}

TEST_P(IptablesBackend, ReinstallWithoutCommentsIsIdempotent) {
  config::Config cfg = richConfig();
  cfg.comments = false;
  ASSERT_TRUE(installIn(*ns_, cfg, backendMode()).ok());
  std::string v4 = save(Family::kV4);
  EXPECT_EQ(v4.find("kuma/mesh"), std::string::npos);
  auto st = installIn(*ns_, cfg, backendMode());
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(save(Family::kV4), v4);
}

TEST_P(IptablesBackend, UninstallLeavesForeignRulesByteIdentical) {
  for (const char* m : {"legacy", "nft"})
    for (Family f : {Family::kV4, Family::kV6})
      ASSERT_TRUE(loadForeign(*ns_, m, f).ok()) << m;
  std::string before = saveAll();

  auto st = installIn(*ns_, richConfig(), backendMode());
  ASSERT_TRUE(st.ok()) << st.error().message();
  std::string installed = saveAll();
  EXPECT_NE(installed, before);
  EXPECT_NE(save(Family::kV6).find("KUMA_MESH_INBOUND"), std::string::npos);

  auto un = uninstallIn(*ns_, testConfig());
  ASSERT_TRUE(un.ok()) << un.error().message();
  EXPECT_EQ(saveAll(), before);
  // Nothing left to do: a second uninstall changes nothing.
  ASSERT_TRUE(uninstallIn(*ns_, testConfig()).ok());
  EXPECT_EQ(saveAll(), before);
}

TEST_P(IptablesBackend, UninstallRemovesRulesInstalledWithoutComments) {
  config::Config cfg = richConfig();
  cfg.comments = false;
  ASSERT_TRUE(loadForeign(*ns_, mode(), Family::kV4).ok());
  std::string before = save(Family::kV4);
  ASSERT_TRUE(installIn(*ns_, cfg, backendMode()).ok());
  ASSERT_TRUE(uninstallIn(*ns_, cfg).ok());
  EXPECT_EQ(save(Family::kV4), before);
}

TEST_P(IptablesBackend, VerifyAfterInstallAndAfterManualChanges) {
  config::Config cfg = testConfig();
  ASSERT_TRUE(installIn(*ns_, cfg, backendMode()).ok());
  auto ok = verifyIn(*ns_, cfg, backendMode());
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_TRUE(ok->ok()) << ::testing::PrintToString(ok->differences);

  // Someone deletes our localhost RETURN rule and adds a rule to our chain.
  const std::string localhost =
      "-A KUMA_MESH_OUTBOUND -d 127.0.0.1/32 -m comment --comment "
      "\"kuma/mesh/transparent/proxy/outbound/localhost\" -j RETURN";
  auto del =
      ns_->run(modeTool(mode(), Family::kV4),
               {"-t", "nat", "-D", "KUMA_MESH_OUTBOUND", "-d", "127.0.0.1/32", "-m", "comment",
                "--comment", "kuma/mesh/transparent/proxy/outbound/localhost", "-j", "RETURN"});
  ASSERT_TRUE(del.ok() && del->success()) << (del.ok() ? del->describe() : "");
  auto add = ns_->run(modeTool(mode(), Family::kV6),
                      {"-t", "nat", "-A", "KUMA_MESH_INBOUND", "-p", "udp", "-j", "RETURN"});
  ASSERT_TRUE(add.ok() && add->success());

  auto bad = verifyIn(*ns_, cfg, backendMode());
  ASSERT_TRUE(bad.ok()) << bad.error().message();
  EXPECT_EQ(bad->differences,
            (std::vector<std::string>{
                "- missing in IPv4 nat: " + localhost,
                "+ unexpected in IPv6 nat: -A KUMA_MESH_INBOUND -p udp -j RETURN"}));
}

TEST_P(IptablesBackend, VerifyReportsAMissingInstallation) {
  auto report = verifyIn(*ns_, testConfig(), backendMode());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->differences.front(), "- missing chain in IPv4 nat: KUMA_MESH_INBOUND");
}

// A stub directory early in PATH whose ip6tables-<mode>-restore (or iptables-<mode>-restore)
// always fails.
class FailingRestore {
 public:
  FailingRestore(const std::string& mode, Family family)
      : dir_("/tmp/kt-ipt-stub-" + std::to_string(::getpid())) {
    ::mkdir(dir_.c_str(), 0700);
    link_ = dir_ + (family == Family::kV6 ? "/ip6tables-" : "/iptables-") + mode + "-restore";
    if (::symlink("/bin/false", link_.c_str()) != 0) ADD_FAILURE() << "symlink " << link_;
    path_ = std::make_unique<ScopedEnv>("PATH", dir_ + ":" + std::getenv("PATH"));
  }
  ~FailingRestore() {
    path_.reset();
    ::unlink(link_.c_str());
    ::rmdir(dir_.c_str());
  }

 private:
  std::string dir_, link_;
  std::unique_ptr<ScopedEnv> path_;
};

TEST_P(IptablesBackend, Ipv4IsRolledBackWhenIpv6Fails) {
  ASSERT_TRUE(loadForeign(*ns_, mode(), Family::kV4).ok());
  std::string fresh = save(Family::kV4);
  {
    FailingRestore stub(mode(), Family::kV6);
    auto st = installIn(*ns_, richConfig(), backendMode());
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find("installing IPv6 rules"), std::string::npos)
        << st.error().message();
    EXPECT_EQ(st.error().message().find("rollback failed"), std::string::npos)
        << st.error().message();
  }
  EXPECT_EQ(save(Family::kV4), fresh);

  // Over a previous installation: the previous rules come back unchanged.
  ASSERT_TRUE(installIn(*ns_, testConfig(), backendMode()).ok());
  std::string previous = save(Family::kV4);
  {
    FailingRestore stub(mode(), Family::kV6);
    ASSERT_FALSE(installIn(*ns_, richConfig(), backendMode()).ok());
  }
  EXPECT_EQ(save(Family::kV4), previous);
}

// A failing IPv4 restore (the first one) leaves IPv6 as it was, fresh or over a previous
// installation.
TEST_P(IptablesBackend, Ipv6IsRolledBackWhenIpv4Fails) {
  ASSERT_TRUE(loadForeign(*ns_, mode(), Family::kV6).ok());
  std::string fresh = save(Family::kV6);
  {
    FailingRestore stub(mode(), Family::kV4);
    auto st = installIn(*ns_, richConfig(), backendMode());
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find("installing IPv4 rules"), std::string::npos)
        << st.error().message();
    EXPECT_EQ(st.error().message().find("rollback failed"), std::string::npos)
        << st.error().message();
  }
  EXPECT_EQ(save(Family::kV6), fresh);

  ASSERT_TRUE(installIn(*ns_, testConfig(), backendMode()).ok());
  std::string previous = save(Family::kV6);
  {
    FailingRestore stub(mode(), Family::kV4);
    ASSERT_FALSE(installIn(*ns_, richConfig(), backendMode()).ok());
  }
  EXPECT_EQ(save(Family::kV6), previous);
}

// The largest exclusion lists the config stage accepts, as distinct as they can be (every
// other port: 32767 and 32768 ranges; 10000 addresses per list, half of them IPv6), install
// and verify in both families and are removed by uninstall. Their rules are linear in the
// entries (multiport rules of 15 ports, one rule per address), so this is bounded work.
TEST_P(IptablesBackend, LargestExclusionListsInstallVerifyAndUninstall) {
  config::Config cfg = testConfig();
  addLargestExclusionLists(cfg);
  ASSERT_TRUE(installIn(*ns_, cfg, backendMode()).ok());
  std::string v4 = save(Family::kV4), v6 = save(Family::kV6);
  EXPECT_NE(v4.find("-d 10.1.19.135/32"), std::string::npos);  // the last IPv4 address
  EXPECT_NE(v6.find("fd00::2:4999/128"), std::string::npos);
  EXPECT_NE(v4.find("65534"), std::string::npos);
  auto report = verifyIn(*ns_, cfg, backendMode());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->differences);
  ASSERT_TRUE(uninstallIn(*ns_, cfg).ok());
  EXPECT_EQ(save(Family::kV4).find("KUMA_MESH"), std::string::npos);
  EXPECT_EQ(save(Family::kV6).find("KUMA_MESH"), std::string::npos);
}

TEST_P(IptablesBackend, ForcedModeWritesOnlyThatMode) {
  ASSERT_TRUE(installIn(*ns_, testConfig(), backendMode()).ok());
  std::string other = mode() == "legacy" ? "nft" : "legacy";
  EXPECT_EQ(snapshot(*ns_, modeTool(other, Family::kV4, "-save")).find("KUMA_MESH"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Modes, IptablesBackend, ::testing::Values("legacy", "nft"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// IPv6 gating: a namespace with loopback only.
class IptablesIpv6Gating : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "ipt6");
  }
  std::unique_ptr<ScratchNetns> ns_;
};

TEST_F(IptablesIpv6Gating, SkippedWithAWarningWithoutAnIpv6Address) {
  LogCapture logs;
  auto st = installIn(*ns_, testConfig(), Mode::kNft);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_NE(logs.text().find("IPv6 rules skipped: the namespace has no non-loopback IPv6 address"),
            std::string::npos)
      << logs.text();
  EXPECT_NE(snapshot(*ns_, "iptables-nft-save").find("KUMA_MESH"), std::string::npos);
  EXPECT_EQ(snapshot(*ns_, "ip6tables-nft-save").find("KUMA_MESH"), std::string::npos);
  auto addrs = ns_->check("ip", {"-6", "addr", "show", "dev", "lo"});
  ASSERT_TRUE(addrs.ok());
  EXPECT_EQ(addrs->find("::6/128"), std::string::npos);
}

TEST_F(IptablesIpv6Gating, ExplicitDualstackWithoutIpv6IsAnError) {
  config::Config cfg = testConfig();
  cfg.ipFamilyModeExplicit = true;
  auto st = installIn(*ns_, cfg, Mode::kNft);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(st.error().message().find("no non-loopback IPv6 address"), std::string::npos);
  EXPECT_EQ(snapshot(*ns_, "iptables-nft-save").find("KUMA_MESH"), std::string::npos);
}

TEST_F(IptablesIpv6Gating, Ipv4FamilyModeNeverTouchesIpv6) {
  ASSERT_TRUE(ns_->addIpv6Interface().ok());
  config::Config cfg = testConfig();
  cfg.ipFamilyMode = config::IpFamilyMode::kIpv4;
  ASSERT_TRUE(installIn(*ns_, cfg, Mode::kNft).ok());
  EXPECT_EQ(snapshot(*ns_, "ip6tables-nft-save"), "");
  auto addrs = ns_->check("ip", {"-6", "addr", "show", "dev", "lo"});
  ASSERT_TRUE(addrs.ok());
  EXPECT_EQ(addrs->find("::6/128"), std::string::npos);
}

// A start-up benchmark target (tests/bench/targets.h): in a fresh namespace a default install runs
// exactly the two restores (no --version, no *-save), like the bare iptables-restore pair.
TEST_F(IptablesIpv6Gating, DefaultInstallInAFreshNamespaceRunsTwoPrograms) {
  ASSERT_TRUE(ns_->addIpv6Interface().ok());
  LogCapture logs;
  ASSERT_TRUE(installIn(*ns_, testConfig(), Mode::kAuto).ok());
  EXPECT_NE(logs.text().find("installed with iptables-nft (IPv4 and IPv6; 2 program runs)"),
            std::string::npos)
      << logs.text();
}

}  // namespace
}  // namespace kt::testing
