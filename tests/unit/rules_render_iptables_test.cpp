// The iptables-restore renderer: iptables-save's canonical rule text, multiport splitting,
// families, insert positions, comments, verbose form and the dry-run layout.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "iptables/builder.h"
#include "iptables/render_iptables.h"

namespace kt::rules {
namespace {

Cidr cidr(const char* s) {
  return *Cidr::parse(s);
}

const IptablesOptions kNoComments{false, false};

// A model with one rule in our outbound chain.
Model oneRule(const Rule& r, ChainId id = ChainId::kOutbound) {
  Model m;
  m.chains.push_back(Chain{id, {r}});
  return m;
}

std::vector<std::string> lines(const Model& m, Family f, const IptablesOptions& opt = kNoComments) {
  std::vector<std::string> out;
  for (const auto& t : renderIptablesTables(m, f, opt))
    for (const auto& r : t.rules)
      out.push_back(r.line());
  return out;
}

using Lines = std::vector<std::string>;

std::vector<PortRange> singles(uint16_t from, size_t n) {
  std::vector<PortRange> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(
        PortRange{static_cast<uint16_t>(from + 2 * i), static_cast<uint16_t>(from + 2 * i)});
  return out;
}

TEST(RenderIptables, Quoting) {
  EXPECT_EQ(iptablesQuote("abc-DEF_09"), "abc-DEF_09");
  EXPECT_EQ(iptablesQuote(""), "\"\"");
  EXPECT_EQ(iptablesQuote("OUTPUT:"), "\"OUTPUT:\"");
  EXPECT_EQ(iptablesQuote("a b\"c\\d'e"), "\"a b\\\"c\\\\d\\'e\"");
}

TEST(RenderIptables, SinglePortUsesTheProtocolMatch) {
  Rule r;
  r.proto = L4::kTcp;
  r.dport = PortMatch{{{80, 80}}, false};
  r.action = action::Return{};
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            Lines{"-A KUMA_MESH_OUTBOUND -p tcp -m tcp --dport 80 -j RETURN"});
  r.dport = PortMatch{{{8000, 9000}}, true};
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            Lines{"-A KUMA_MESH_OUTBOUND -p tcp -m tcp ! --dport 8000:9000 -j RETURN"});
  r.proto = L4::kUdp;
  r.dport.reset();
  r.sport = PortMatch{{{53, 53}}, false};
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            Lines{"-A KUMA_MESH_OUTBOUND -p udp -m udp --sport 53 -j RETURN"});
}

TEST(RenderIptables, FifteenPortsFitOneMultiportRule) {
  Rule r;
  r.proto = L4::kTcp;
  r.dport = PortMatch{singles(1, 15), false};
  r.action = action::Return{};
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            Lines{"-A KUMA_MESH_OUTBOUND -p tcp -m multiport --dports "
                  "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29 -j RETURN"});
}

TEST(RenderIptables, SixteenPortsSplitIntoTwoRules) {
  Rule r;
  r.proto = L4::kUdp;
  r.dport = PortMatch{singles(1, 16), false};
  r.action = action::Return{};
  // The remainder is a single port: the plain udp match.
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            (Lines{"-A KUMA_MESH_OUTBOUND -p udp -m multiport --dports "
                   "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29 -j RETURN",
                   "-A KUMA_MESH_OUTBOUND -p udp -m udp --dport 31 -j RETURN"}));
}

TEST(RenderIptables, RangesCountTwice) {
  Rule r;
  r.proto = L4::kTcp;
  // 7 single ports (7 slots) + 4 ranges (8 slots) = 15: one rule.
  auto ports = singles(1, 7);
  for (uint16_t i = 0; i < 4; ++i)
    ports.push_back(
        PortRange{static_cast<uint16_t>(100 + 10 * i), static_cast<uint16_t>(105 + 10 * i)});
  r.dport = PortMatch{ports, false};
  r.action = action::Return{};
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            Lines{"-A KUMA_MESH_OUTBOUND -p tcp -m multiport --dports "
                  "1,3,5,7,9,11,13,100:105,110:115,120:125,130:135 -j RETURN"});
  // 8 ranges = 16 slots: 7 ranges, then the last one alone (a single range uses --dport).
  std::vector<PortRange> ranges;
  for (uint16_t i = 0; i < 8; ++i)
    ranges.push_back(
        PortRange{static_cast<uint16_t>(100 + 10 * i), static_cast<uint16_t>(101 + 10 * i)});
  r.dport = PortMatch{ranges, false};
  EXPECT_EQ(lines(oneRule(r), Family::kV4),
            (Lines{"-A KUMA_MESH_OUTBOUND -p tcp -m multiport --dports "
                   "100:101,110:111,120:121,130:131,140:141,150:151,160:161 -j RETURN",
                   "-A KUMA_MESH_OUTBOUND -p tcp -m tcp --dport 170:171 -j RETURN"}));
}

TEST(RenderIptables, AddressListsExpandPerFamily) {
  Rule r;
  r.dst = AddrMatch{{cidr("10.0.0.0/8"), cidr("192.168.1.1"), cidr("fd00::/8")}, false};
  r.action = action::Return{};
  r.tag = "output/exclude-ips";
  r.insert = true;
  Model m = oneRule(r, ChainId::kNatOutput);
  EXPECT_EQ(lines(m, Family::kV4), (Lines{"-I OUTPUT 1 -d 10.0.0.0/8 -j RETURN",
                                          "-I OUTPUT 2 -d 192.168.1.1/32 -j RETURN"}));
  EXPECT_EQ(lines(m, Family::kV6), Lines{"-I OUTPUT 1 -d fd00::/8 -j RETURN"});
  // No address of the family: no rule (never a match-all).
  r.dst = AddrMatch{{cidr("fd00::1")}, false};
  EXPECT_TRUE(lines(oneRule(r, ChainId::kNatOutput), Family::kV4).empty());
}

TEST(RenderIptables, AddressesTimesPortGroups) {
  Rule r;
  r.src = AddrMatch{{cidr("10.0.0.1"), cidr("10.0.0.2")}, false};
  r.proto = L4::kTcp;
  r.dport = PortMatch{singles(1, 16), false};
  r.action = action::Return{};
  auto got = lines(oneRule(r), Family::kV4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1], "-A KUMA_MESH_OUTBOUND -s 10.0.0.1/32 -p tcp -m tcp --dport 31 -j RETURN");
  EXPECT_EQ(got[2].substr(0, 50), "-A KUMA_MESH_OUTBOUND -s 10.0.0.2/32 -p tcp -m mul");
}

TEST(RenderIptables, FamilyTagSelectsTheFamily) {
  Rule r;
  r.proto = L4::kTcp;
  r.action = action::Redirect{15010};
  r.family = Family::kV6;
  Model m = oneRule(r, ChainId::kInboundRedirect);
  EXPECT_TRUE(lines(m, Family::kV4).empty());
  EXPECT_EQ(lines(m, Family::kV6),
            Lines{"-A KUMA_MESH_INBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15010"});
}

TEST(RenderIptables, CanonicalOptionOrder) {
  Rule r;
  r.proto = L4::kTcp;
  r.outIface = IfaceMatch{"lo", false};
  r.inIface = IfaceMatch{"eth0", true};
  r.dst = AddrMatch{{cidr("127.0.0.1")}, true};
  r.src = AddrMatch{{cidr("10.0.0.0/8")}, false};
  r.dport = PortMatch{{{80, 80}, {443, 443}}, false};
  r.uid = UidMatch{{5678, 5678}, true};
  r.ctStateInvalid = true;
  r.tag = "x";
  r.action = action::Jump{ChainId::kInboundRedirect};
  EXPECT_EQ(lines(oneRule(r), Family::kV4, IptablesOptions{}),
            Lines{"-A KUMA_MESH_OUTBOUND -s 10.0.0.0/8 ! -d 127.0.0.1/32 ! -i eth0 -o lo -p tcp "
                  "-m multiport --dports 80,443 -m owner ! --uid-owner 5678 -m conntrack "
                  "--ctstate INVALID -m comment --comment \"kuma/mesh/transparent/proxy/x\" "
                  "-j KUMA_MESH_INBOUND_REDIRECT"});
}

TEST(RenderIptables, Targets) {
  Rule r;
  r.action = action::CtZone{2};
  EXPECT_EQ(lines(oneRule(r, ChainId::kRawOutput), Family::kV4), Lines{"-A OUTPUT -j CT --zone 2"});
  r.action = action::Log{"OUTPUT:", 7};
  EXPECT_EQ(lines(oneRule(r, ChainId::kNatOutput), Family::kV4),
            Lines{"-A OUTPUT -j LOG --log-prefix \"OUTPUT:\" --log-level 7"});
  // iptables-save leaves out the default level 4.
  r.action = action::Log{"OUTPUT:", 4};
  EXPECT_EQ(lines(oneRule(r, ChainId::kNatOutput), Family::kV4),
            Lines{"-A OUTPUT -j LOG --log-prefix \"OUTPUT:\""});
  r.action = action::JumpForeign{"DOCKER_OUTPUT"};
  EXPECT_EQ(lines(oneRule(r, ChainId::kNatOutput), Family::kV4),
            Lines{"-A OUTPUT -j DOCKER_OUTPUT"});
  r.action = action::Drop{};
  EXPECT_EQ(lines(oneRule(r, ChainId::kManglePrerouting), Family::kV4),
            Lines{"-A PREROUTING -j DROP"});
}

TEST(RenderIptables, InsertPositionsAreSequentialPerChain) {
  config::Config cfg;
  cfg.logs = true;
  cfg.outbound.excludeIps = {cidr("10.0.0.0/8"), cidr("10.1.0.0/16"), cidr("172.16.0.0/12")};
  cfg.inbound.insertInsteadOfAppend = true;
  Model m = build(cfg, config::Facts{});
  std::vector<std::string> nat;
  for (const auto& t : renderIptablesTables(m, Family::kV4, kNoComments)) {
    if (t.table != Table::kNat) continue;
    for (const auto& r : t.rules)
      if (r.chain == "OUTPUT" || r.chain == "PREROUTING") nat.push_back(r.line());
  }
  EXPECT_EQ(nat,
            (Lines{"-I PREROUTING 1 -j LOG --log-prefix \"PREROUTING:\" --log-level 7",
                   "-I PREROUTING 2 -p tcp -j KUMA_MESH_INBOUND",
                   "-I OUTPUT 1 -j LOG --log-prefix \"OUTPUT:\" --log-level 7",
                   "-I OUTPUT 2 -d 10.0.0.0/8 -j RETURN", "-I OUTPUT 3 -d 172.16.0.0/12 -j RETURN",
                   "-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND"}));
}

TEST(RenderIptables, OurChainsAreNeverInsertedInto) {
  Rule r;
  r.insert = true;
  r.action = action::Return{};
  EXPECT_EQ(lines(oneRule(r), Family::kV4), Lines{"-A KUMA_MESH_OUTBOUND -j RETURN"});
}

TEST(RenderIptables, SaveLineDropsThePosition) {
  IptablesRule r{"OUTPUT", 3, "-p tcp -j RETURN", false};
  EXPECT_EQ(r.line(), "-I OUTPUT 3 -p tcp -j RETURN");
  EXPECT_EQ(r.saveLine(), "-A OUTPUT -p tcp -j RETURN");
}

TEST(RenderIptables, DefaultIpv4Text) {
  Model m = build(config::Config{}, config::Facts{});
  EXPECT_EQ(renderIptables(m, Family::kV4, kNoComments),
            "*nat\n"
            "-N KUMA_MESH_INBOUND\n"
            "-N KUMA_MESH_OUTBOUND\n"
            "-N KUMA_MESH_INBOUND_REDIRECT\n"
            "-N KUMA_MESH_OUTBOUND_REDIRECT\n"
            "-A PREROUTING -p tcp -j KUMA_MESH_INBOUND\n"
            "-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n"
            "-A KUMA_MESH_INBOUND -p tcp -j KUMA_MESH_INBOUND_REDIRECT\n"
            "-A KUMA_MESH_OUTBOUND -s 127.0.0.6/32 -o lo -j RETURN\n"
            "-A KUMA_MESH_OUTBOUND ! -d 127.0.0.1/32 -o lo -p tcp -m owner --uid-owner 5678 -j "
            "KUMA_MESH_INBOUND_REDIRECT\n"
            "-A KUMA_MESH_OUTBOUND -o lo -p tcp -m owner ! --uid-owner 5678 -j RETURN\n"
            "-A KUMA_MESH_OUTBOUND -m owner --uid-owner 5678 -j RETURN\n"
            "-A KUMA_MESH_OUTBOUND -d 127.0.0.1/32 -j RETURN\n"
            "-A KUMA_MESH_OUTBOUND -j KUMA_MESH_OUTBOUND_REDIRECT\n"
            "-A KUMA_MESH_INBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15006\n"
            "-A KUMA_MESH_OUTBOUND_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n"
            "COMMIT\n");
}

TEST(RenderIptables, CommentsOnAndOff) {
  Rule r;
  r.action = action::Return{};
  r.tag = "outbound/sidecar";
  EXPECT_EQ(lines(oneRule(r), Family::kV4, IptablesOptions{true, false}),
            Lines{"-A KUMA_MESH_OUTBOUND -m comment --comment "
                  "\"kuma/mesh/transparent/proxy/outbound/sidecar\" -j RETURN"});
  EXPECT_EQ(lines(oneRule(r), Family::kV4, IptablesOptions{false, false}),
            Lines{"-A KUMA_MESH_OUTBOUND -j RETURN"});
  // The kernel keeps 255 bytes of a comment.
  r.tag = std::string(400, 'a');
  auto got = lines(oneRule(r), Family::kV4, IptablesOptions{true, false});
  EXPECT_NE(got[0].find("\"kuma/mesh/transparent/proxy/" + std::string(255 - 28, 'a') + "\""),
            std::string::npos);
}

TEST(RenderIptables, TablesInRawNatMangleOrderEmptyOnesOmitted) {
  config::Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  cfg.dropInvalidPackets = true;
  Model m = build(cfg, config::Facts{});
  std::vector<Table> order;
  for (const auto& t : renderIptablesTables(m, Family::kV6, kNoComments))
    order.push_back(t.table);
  EXPECT_EQ(order, (std::vector<Table>{Table::kRaw, Table::kNat, Table::kMangle}));
  std::string text = renderIptables(m, Family::kV6, kNoComments);
  EXPECT_EQ(text.find("*raw\n"), 0u);
  EXPECT_LT(text.find("*nat\n"), text.find("*mangle\n"));
  // Raw PREROUTING comes before raw OUTPUT.
  EXPECT_LT(text.find("-A PREROUTING -p udp -m udp --sport 53 -j CT --zone 1"),
            text.find("-A OUTPUT -p udp"));

  order.clear();
  for (const auto& t :
       renderIptablesTables(build(config::Config{}, config::Facts{}), Family::kV4, kNoComments))
    order.push_back(t.table);
  EXPECT_EQ(order, std::vector<Table>{Table::kNat});
}

TEST(RenderIptables, VerboseUsesLongNamesAndSections) {
  config::Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  cfg.outbound.excludePorts = {{80, 80}, {443, 443}};
  Model m = build(cfg, config::Facts{});
  std::string text = renderIptables(m, Family::kV4, IptablesOptions{true, true});
  EXPECT_NE(text.find("\n--append OUTPUT --protocol udp --match udp "
                      "--destination-port 53 --match owner --uid-owner 5678 --match comment "
                      "--comment \"kuma/mesh/transparent/proxy/dns/sidecar-upstream-zone\" --jump "
                      "CT --zone 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("*raw\n# Rules:\n--append PREROUTING "), 0u);
  EXPECT_NE(text.find("COMMIT\n\n*nat\n# Custom Chains:\n--new-chain KUMA_MESH_INBOUND\n"),
            std::string::npos);
  EXPECT_NE(text.find("--new-chain KUMA_MESH_OUTBOUND_REDIRECT\n\n# Rules:\n"), std::string::npos);
  EXPECT_NE(text.find("--insert OUTPUT 1 --protocol udp"), std::string::npos);
  EXPECT_NE(text.find("--append KUMA_MESH_OUTBOUND --protocol tcp --match multiport "
                      "--destination-ports 80,443"),
            std::string::npos);
  EXPECT_NE(text.find("--append KUMA_MESH_OUTBOUND --source 127.0.0.6/32 --out-interface lo"),
            std::string::npos);
  EXPECT_NE(text.find("--append PREROUTING --protocol udp --match udp --source-port 53"),
            std::string::npos);
  EXPECT_EQ(text.find(" -p "), std::string::npos);
  EXPECT_EQ(text.find(" -j "), std::string::npos);
  EXPECT_EQ(text.find("\n-A "), std::string::npos);
}

TEST(RenderIptables, DryRunLayout) {
  Model m = build(config::Config{}, config::Facts{});
  std::string dry = renderIptablesDryRun(m, kNoComments);
  std::string v4 = renderIptables(m, Family::kV4, kNoComments);
  std::string v6 = renderIptables(m, Family::kV6, kNoComments);
  EXPECT_EQ(dry, "### IPv4 ###\n\n" + v4 + "\n### IPv6 ###\n\n" + v6);

  config::Facts noV6;
  noV6.ipv6 = false;
  Model m4 = build(config::Config{}, noV6);
  EXPECT_EQ(renderIptablesDryRun(m4, kNoComments),
            "### IPv4 ###\n\n" + renderIptables(m4, Family::kV4, kNoComments));
  EXPECT_EQ(renderIptables(m4, Family::kV6, kNoComments), "");
}

}  // namespace
}  // namespace kt::rules
