// The renderer's claim, proven against the kernel: restoring the rendered text into a throwaway
// namespace and reading it back with *-save gives exactly the rendered rule lines, for the
// legacy and the nf_tables tools and both families. Verify and uninstall compare text on the
// strength of this.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "iptables/builder.h"
#include "iptables/render_iptables.h"
#include "support/saved_rules.h"
#include "support/scratch_netns.h"

namespace kt::rules {
namespace {

using testing::ScratchNetns;

struct Case {
  const char* name;
  config::Config cfg;
  config::Facts facts;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({"default", {}, {}});

  Case all{"everything", {}, {}};
  all.cfg.logs = true;
  all.cfg.dropInvalidPackets = true;
  all.cfg.dns.enabled = true;
  all.cfg.dns.captureAll = true;
  all.cfg.inbound.excludePorts = {{22, 22}, {9901, 9901}, {8000, 8010}};
  all.cfg.inbound.excludeIps = {*Cidr::parse("192.168.0.0/16"), *Cidr::parse("fe80::/10")};
  all.cfg.outbound.excludeIps = {*Cidr::parse("10.0.0.0/8"), *Cidr::parse("fd00::1")};
  for (uint16_t p = 1000; p < 1040; p += 2)
    all.cfg.outbound.excludePorts.push_back({p, p});
  all.cfg.outbound.excludePortsForUids = {
      {{config::Protocol::kTcp, config::Protocol::kUdp}, {{80, 80}, {8080, 8090}}, {1000, 1005}},
      {{config::Protocol::kUdp}, {}, {7, 7}}};
  all.cfg.outbound.insertInsteadOfAppend = true;
  all.cfg.inbound.insertInsteadOfAppend = true;
  out.push_back(all);

  Case resolv{"resolv-conf", {}, {}};
  resolv.cfg.dns.enabled = true;
  resolv.facts.dnsServers = {*IpAddress::parse("127.0.0.11"), *IpAddress::parse("10.96.0.10"),
                             *IpAddress::parse("fd00::a")};
  out.push_back(resolv);

  Case docker{"docker", {}, {}};
  docker.cfg.dns.enabled = true;
  docker.cfg.dns.captureAll = true;
  docker.facts.dockerOutputChain = true;
  out.push_back(docker);

  Case gateway{"gateway-no-comments", {}, {}};
  gateway.cfg.inbound.enabled = false;
  gateway.cfg.comments = false;
  gateway.cfg.outbound.includePorts = {{80, 80}, {443, 443}};
  out.push_back(gateway);
  return out;
}

using ChainRules = std::map<std::string, std::vector<std::string>>;

class IptablesRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(IptablesRoundTrip, SaveOutputEqualsRenderedRules) {
  KT_REQUIRE_ROOT();
  const std::string mode = GetParam();
  for (const auto& c : cases()) {
    for (Family f : {Family::kV4, Family::kV6}) {
      SCOPED_TRACE(std::string(c.name) + " " + familyName(f) + " " + mode);
      auto ns = ScratchNetns::make("rt");
      ASSERT_TRUE(ns.ok()) << ns.error().message();
      std::string tool = std::string(f == Family::kV4 ? "iptables-" : "ip6tables-") + mode;
      Model m = build(c.cfg, c.facts);
      if (c.facts.dockerOutputChain && f == Family::kV4) {
        auto mk = (*ns)->run(tool, {"-t", "nat", "-N", "DOCKER_OUTPUT"});
        ASSERT_TRUE(mk.ok() && mk->success());
      }
      IptablesOptions opt{c.cfg.comments, false};
      auto tables = renderIptablesTables(m, f, opt);
      auto restore = (*ns)->run(tool + "-restore", {"--noflush"}, renderIptables(m, f, opt));
      ASSERT_TRUE(restore.ok()) << restore.error().message();
      ASSERT_TRUE(restore->success()) << restore->describe();
      auto save = (*ns)->check(tool + "-save", {});
      ASSERT_TRUE(save.ok()) << save.error().message();
      for (const auto& t : tables) {
        ChainRules want, have;
        for (const auto& r : t.rules)
          want[r.chain].push_back(r.saveLine());
        for (const auto& line : testing::savedRules(*save, tableName(t.table))) {
          std::string chain = line.substr(3, line.find(' ', 3) - 3);
          have[chain].push_back(line);
        }
        EXPECT_EQ(want, have) << "table " << tableName(t.table) << "\nsaved:\n" << *save;
        for (const auto& chain : t.newChains)
          EXPECT_NE(save->find(":" + chain + " - [0:0]"), std::string::npos) << chain;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, IptablesRoundTrip, ::testing::Values("legacy", "nft"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace kt::rules
