// The nft -f renderer: statement texts, set blocks, base chains, preamble, determinism.
#include <gtest/gtest.h>

#include <iterator>
#include <regex>
#include <sstream>

#include "iptables/builder.h"
#include "iptables/render_nft.h"
#include "support/literals.h"

namespace kt::rules {
namespace {

namespace n = nft;

using testing::cidr;

std::string ruleText(std::vector<n::Statement> st) {
  NftRule r;
  r.statements = std::move(st);
  return renderNftRule(r);
}

TEST(NftRender, StatementTexts) {
  using V = n::Verdict;
  EXPECT_EQ(ruleText({n::MetaNfproto{Family::kV4}, n::MetaL4proto{L4::kTcp}, n::Redirect{15006}}),
            "meta nfproto ipv4 meta l4proto tcp redirect to :15006");
  EXPECT_EQ(ruleText({n::AddrMatch{Family::kV4, false, cidr("10.0.0.10"), false},
                      n::PortMatch{L4::kUdp, false, PortRange{53, 53}, false}, n::Redirect{15053}}),
            "ip daddr 10.0.0.10 udp dport 53 redirect to :15053");
  EXPECT_EQ(ruleText({n::AddrMatch{Family::kV6, true, cidr("fd00::/8"), true},
                      n::Verdict{V::Kind::kReturn, {}}}),
            "ip6 saddr != fd00::/8 return");
  EXPECT_EQ(ruleText({n::AddrMatch{Family::kV4, false, std::string("s4"), true},
                      n::Verdict{V::Kind::kReturn, {}}}),
            "ip daddr != @s4 return");
  EXPECT_EQ(ruleText({n::PortMatch{L4::kTcp, true, PortRange{8000, 9000}, true},
                      n::Verdict{V::Kind::kDrop, {}}}),
            "tcp sport != 8000-9000 drop");
  EXPECT_EQ(ruleText({n::PortMatch{L4::kTcp, false, std::string("p"), false},
                      n::Verdict{V::Kind::kJump, "KUMA_MESH_INBOUND"}}),
            "tcp dport @p jump KUMA_MESH_INBOUND");
  EXPECT_EQ(ruleText({n::ProtoPortLookup{"u", false}, n::SkuidMatch{{1000, 1005}, false},
                      n::Verdict{V::Kind::kReturn, {}}}),
            "meta l4proto . th dport @u meta skuid 1000-1005 return");
  EXPECT_EQ(ruleText({n::MetaL4proto{L4::kTcp}, n::IfaceMatch{true, "lo", false},
                      n::SkuidMatch{{5678, 5678}, true}, n::Verdict{V::Kind::kReturn, {}}}),
            "meta l4proto tcp oifname \"lo\" meta skuid != 5678 return");
  EXPECT_EQ(ruleText({n::IfaceMatch{false, "eth0", true}, n::Verdict{V::Kind::kReturn, {}}}),
            "iifname != \"eth0\" return");
  EXPECT_EQ(ruleText({n::CtStateInvalid{}, n::Verdict{V::Kind::kDrop, {}}}),
            "ct state invalid drop");
  EXPECT_EQ(ruleText({n::PortMatch{L4::kUdp, true, PortRange{53, 53}, false}, n::CtZoneSet{1},
                      n::Verdict{V::Kind::kReturn, {}}}),
            "udp sport 53 ct zone set 1 return");
  EXPECT_EQ(ruleText({n::Log{"OUTPUT:", 7}}), "log prefix \"OUTPUT:\" level debug");
  EXPECT_EQ(ruleText({n::Log{"X:", 4}}), "log prefix \"X:\" level warn");
}

TEST(NftRender, ElementTexts) {
  EXPECT_EQ(renderNftElement(PortRange{22, 22}), "22");
  EXPECT_EQ(renderNftElement(PortRange{1000, 2000}), "1000-2000");
  EXPECT_EQ(renderNftElement(cidr("10.0.0.0/8")), "10.0.0.0/8");
  EXPECT_EQ(renderNftElement(cidr("192.168.0.1")), "192.168.0.1");
  EXPECT_EQ(renderNftElement(cidr("fe80::/10")), "fe80::/10");
  EXPECT_EQ(renderNftElement(cidr("::6")), "::6");
  EXPECT_EQ(renderNftElement(ProtoPorts{L4::kUdp, {53, 53}}), "udp . 53");
}

TEST(NftRender, WholePlanLayout) {
  NftPlan plan;
  NftSet ports;
  ports.name = "outbound_exclude_ports_dport";
  ports.key = NftSetKey::kInetService;
  ports.ports = {{22, 22}, {9901, 9901}};
  NftSet pp;
  pp.name = "uids_l4dport";
  pp.key = NftSetKey::kProtoService;
  pp.protoPorts = {{L4::kTcp, {80, 80}}};
  pp.interval = false;  // a hash set: its size instead of flags
  plan.sets = {ports, pp};
  NftChain out{"nat_output", NftBaseChain{NftChainType::kNat, NftHook::kOutput, -100}, {}};
  NftRule r;
  r.statements = {n::MetaL4proto{L4::kTcp},
                  n::Verdict{n::Verdict::Kind::kJump, "KUMA_MESH_OUTBOUND"}};
  r.comment = "kuma/mesh/transparent/proxy/output/outbound";
  out.rules.push_back(r);
  NftChain pre{"nat_prerouting", NftBaseChain{NftChainType::kNat, NftHook::kPrerouting, -100}, {}};
  NftChain raw{"raw_output", NftBaseChain{NftChainType::kFilter, NftHook::kOutput, -300}, {}};
  NftChain mangle{
      "mangle_prerouting", NftBaseChain{NftChainType::kFilter, NftHook::kPrerouting, -150}, {}};
  NftChain ours{"KUMA_MESH_OUTBOUND", std::nullopt, {}};
  NftRule plain;
  plain.statements = {n::Verdict{n::Verdict::Kind::kReturn, {}}};
  ours.rules.push_back(plain);
  plan.chains = {pre, out, raw, mangle, ours};

  const std::string want =
      "table inet kuma_mesh\n"
      "delete table inet kuma_mesh\n"
      "table inet kuma_mesh {\n"
      "\tset outbound_exclude_ports_dport {\n"
      "\t\ttype inet_service\n"
      "\t\tflags interval\n"
      "\t\telements = { 22, 9901 }\n"
      "\t}\n"
      "\n"
      "\tset uids_l4dport {\n"
      "\t\ttype inet_proto . inet_service\n"
      "\t\tsize 1\n"
      "\t\telements = { tcp . 80 }\n"
      "\t}\n"
      "\n"
      "\tchain nat_prerouting {\n"
      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t}\n"
      "\n"
      "\tchain nat_output {\n"
      "\t\ttype nat hook output priority -100; policy accept;\n"
      "\t\tmeta l4proto tcp jump KUMA_MESH_OUTBOUND comment "
      "\"kuma/mesh/transparent/proxy/output/outbound\"\n"
      "\t}\n"
      "\n"
      "\tchain raw_output {\n"
      "\t\ttype filter hook output priority raw; policy accept;\n"
      "\t}\n"
      "\n"
      "\tchain mangle_prerouting {\n"
      "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
      "\t}\n"
      "\n"
      "\tchain KUMA_MESH_OUTBOUND {\n"
      "\t\treturn\n"
      "\t}\n"
      "}\n";
  EXPECT_EQ(renderNftPlan(plan, true), want);
  EXPECT_EQ(renderNftPlan(plan, false), want.substr(want.find("table inet kuma_mesh {")));
}

TEST(NftRender, LongElementListsWrapAndKeepEveryElement) {
  NftPlan plan;
  NftSet s;
  s.name = "many";
  s.key = NftSetKey::kInetService;
  for (uint16_t p = 10000; p < 10000 + 3 * 500; p += 3)
    s.ports.push_back({p, p});
  plan.sets = {s};
  std::string text = renderNftPlan(plan, false);
  std::istringstream in(text);
  std::string line;
  size_t count = 0, lines = 0;
  while (std::getline(in, line)) {
    EXPECT_LE(line.size(), 100u) << line;
    static const std::regex kPort("\\b1[0-9]{4}\\b");
    count += std::distance(std::sregex_iterator(line.begin(), line.end(), kPort),
                           std::sregex_iterator());
    ++lines;
  }
  EXPECT_EQ(count, 500u);
  EXPECT_GT(lines, 50u);
}

TEST(NftRender, DefaultConfigIsDeterministicAndCommented) {
  auto m = build(config::Config{}, config::Facts{});
  auto a = renderNft(m, NftOptions{});
  EXPECT_EQ(a, renderNft(m, NftOptions{}));
  EXPECT_NE(a.find("comment \"kuma/mesh/transparent/proxy/outbound/redirect\""), std::string::npos);
  EXPECT_NE(a.find("meta nfproto ipv6 meta l4proto tcp redirect to :15010"), std::string::npos);
  EXPECT_NE(a.find("meta l4proto tcp redirect to :15001"), std::string::npos);
  auto plain = renderNft(m, NftOptions{false, false});
  EXPECT_EQ(plain.find("comment"), std::string::npos);
  EXPECT_EQ(plain.find("delete table"), std::string::npos);
  EXPECT_EQ(plain.rfind("table inet kuma_mesh {", 0), 0u);
}

TEST(NftRender, Ipv6OffKeepsIpv6TrafficOutOfTheBaseChains) {
  config::Config cfg;
  cfg.inbound.portV6 = 0;
  config::Facts facts;
  facts.ipv6 = false;
  auto text = renderNft(build(cfg, facts), NftOptions{false, false});
  EXPECT_EQ(text.find("ip6 "), std::string::npos);
  EXPECT_EQ(text.find("ipv6"), std::string::npos);
  EXPECT_NE(text.find("meta nfproto ipv4 meta l4proto tcp jump KUMA_MESH_INBOUND"),
            std::string::npos);
  EXPECT_NE(text.find("meta nfproto ipv4 meta l4proto tcp jump KUMA_MESH_OUTBOUND"),
            std::string::npos);
}

}  // namespace
}  // namespace kt::rules
