// Mode detection in throwaway namespaces (Kuma's rules, kuma.md 4.3) and the DOCKER_OUTPUT fact.
#include <gtest/gtest.h>

#include "test_support.h"

namespace kt::testing {
namespace {

using backend::iptables::Mode;

class ModeDetection : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "mode");
  }
  std::string detected() {
    auto b = makeIn(*ns_, testConfig(), Mode::kAuto);
    if (!b) return "error: " + b.error().message();
    return (*b)->name();
  }
  void rule(const std::string& tool, std::vector<std::string> args) {
    auto r = ns_->run(tool, std::move(args));
    ASSERT_TRUE(r.ok() && r->success()) << tool << (r.ok() ? r->describe() : "");
  }
  std::unique_ptr<ScratchNetns> ns_;
};

TEST_F(ModeDetection, FreshNamespaceUsesNfTables) {
  LogCapture logs;
  EXPECT_EQ(detected(), "iptables-nft");
  EXPECT_NE(logs.text().find("no rules in either mode"), std::string::npos) << logs.text();
}

TEST_F(ModeDetection, RulesOnlyInLegacyWin) {
  rule("iptables-legacy", {"-t", "mangle", "-A", "OUTPUT", "-j", "RETURN"});
  EXPECT_EQ(detected(), "iptables-legacy");
}

TEST_F(ModeDetection, RulesOnlyInNfTablesWin) {
  rule("iptables-nft", {"-t", "nat", "-A", "OUTPUT", "-j", "RETURN"});
  rule("iptables-legacy", {"-t", "nat", "-L", "-n"});  // an empty legacy table is not "rules"
  EXPECT_EQ(detected(), "iptables-nft");
}

TEST_F(ModeDetection, BothWithLegacyDockerOutputPickLegacy) {
  rule("iptables-legacy", {"-t", "nat", "-N", "DOCKER_OUTPUT"});
  rule("iptables-nft", {"-t", "raw", "-A", "OUTPUT", "-j", "RETURN"});
  EXPECT_EQ(detected(), "iptables-legacy");
}

TEST_F(ModeDetection, BothWithoutDockerPickNfTablesWithAWarning) {
  rule("iptables-legacy", {"-t", "nat", "-A", "OUTPUT", "-j", "RETURN"});
  rule("iptables-nft", {"-t", "nat", "-A", "OUTPUT", "-j", "RETURN"});
  LogCapture logs;
  EXPECT_EQ(detected(), "iptables-nft");
  EXPECT_NE(logs.text().find("both iptables-legacy and iptables-nft have rules"), std::string::npos)
      << logs.text();
}

TEST_F(ModeDetection, ForcedModeIgnoresTheHeuristic) {
  rule("iptables-legacy", {"-t", "nat", "-A", "OUTPUT", "-j", "RETURN"});
  auto b = makeIn(*ns_, testConfig(), Mode::kNft);
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ((*b)->name(), "iptables-nft");
}

TEST_F(ModeDetection, DockerOutputChainTakesTheSidecarsDns) {
  ASSERT_TRUE(ns_->addIpv6Interface().ok());
  rule("iptables-legacy", {"-t", "nat", "-N", "DOCKER_OUTPUT"});
  config::Config cfg = testConfig();
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  auto st = installIn(*ns_, cfg, Mode::kAuto);
  ASSERT_TRUE(st.ok()) << st.error().message();
  std::string v4 = snapshot(*ns_, "iptables-legacy-save");
  std::string v6 = snapshot(*ns_, "ip6tables-legacy-save");
  EXPECT_NE(v4.find("--dport 53 -m owner --uid-owner 5678 -m comment --comment "
                    "\"kuma/mesh/transparent/proxy/output/dns/sidecar-return\" -j DOCKER_OUTPUT"),
            std::string::npos)
      << v4;
  // Capture-all inside Docker: no IPv4 zone split; IPv6 keeps both.
  EXPECT_EQ(v4.find("CT --zone"), std::string::npos) << v4;
  EXPECT_EQ(v6.find("DOCKER_OUTPUT"), std::string::npos) << v6;
  EXPECT_NE(v6.find("CT --zone"), std::string::npos) << v6;
}

}  // namespace
}  // namespace kt::testing
