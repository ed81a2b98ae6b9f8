// The rule builder against Kuma's layout (the nat, raw and mangle rules that Kuma's own
// transparent proxy installs): which rules exist, in which chain, in which order, for which
// family.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "iptables/builder.h"
#include "support/literals.h"

namespace kt::rules {
namespace {

using config::Config;
using config::Facts;

using testing::cidr;
using testing::ip;

// Tags of a chain's rules in order; rules tagged for one family get "@4" / "@6".
std::vector<std::string> tags(const Model& m, ChainId id) {
  std::vector<std::string> out;
  const Chain* c = m.find(id);
  if (!c) return out;
  for (const auto& r : c->rules) {
    std::string t = r.tag;
    if (r.family) t += *r.family == Family::kV4 ? "@4" : "@6";
    out.push_back(t);
  }
  return out;
}

const Rule& ruleAt(const Model& m, ChainId id, size_t i) {
  return m.find(id)->rules.at(i);
}

using Tags = std::vector<std::string>;

TEST(RulesBuilder, DefaultLayoutMatchesKuma) {
  Config cfg;
  Facts facts;
  Model m = build(cfg, facts);
  EXPECT_TRUE(m.ipv4);
  EXPECT_TRUE(m.ipv6);
  std::vector<ChainId> ids;
  for (const auto& c : m.chains)
    ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<ChainId>{ChainId::kNatPrerouting, ChainId::kNatOutput,
                                       ChainId::kInbound, ChainId::kOutbound,
                                       ChainId::kInboundRedirect, ChainId::kOutboundRedirect}));
  EXPECT_EQ(tags(m, ChainId::kNatPrerouting), Tags{"prerouting/inbound"});
  EXPECT_EQ(tags(m, ChainId::kNatOutput), Tags{"output/outbound"});
  EXPECT_EQ(tags(m, ChainId::kInbound), Tags{"inbound/redirect"});
  EXPECT_EQ(tags(m, ChainId::kOutbound),
            (Tags{"outbound/inbound-passthrough", "outbound/sidecar-to-self-as-inbound",
                  "outbound/app-loopback", "outbound/sidecar", "outbound/localhost",
                  "outbound/redirect"}));
  // The IPv6 inbound port differs from the IPv4 one by default: one redirect per family.
  EXPECT_EQ(tags(m, ChainId::kInboundRedirect), (Tags{"inbound-redirect@4", "inbound-redirect@6"}));
  EXPECT_EQ(std::get<action::Redirect>(ruleAt(m, ChainId::kInboundRedirect, 0).action).port, 15006);
  EXPECT_EQ(std::get<action::Redirect>(ruleAt(m, ChainId::kInboundRedirect, 1).action).port, 15010);
  EXPECT_EQ(std::get<action::Redirect>(ruleAt(m, ChainId::kOutboundRedirect, 0).action).port,
            15001);
  // Nothing is inserted by default: the jumps are appended.
  EXPECT_FALSE(ruleAt(m, ChainId::kNatPrerouting, 0).insert);
  EXPECT_FALSE(ruleAt(m, ChainId::kNatOutput, 0).insert);
}

TEST(RulesBuilder, OutboundChainRulesCarryKumaMatches) {
  Config cfg;
  Facts facts;
  facts.kumaDpUid = 1234;
  facts.loopbackIface = "lo0";
  Model m = build(cfg, facts);
  const UidRange uid{1234, 1234};

  const Rule& passthrough = ruleAt(m, ChainId::kOutbound, 0);
  ASSERT_TRUE(passthrough.src);
  EXPECT_EQ(passthrough.src->cidrs, (std::vector<Cidr>{cidr("127.0.0.6"), cidr("::6")}));
  EXPECT_EQ(passthrough.outIface, (IfaceMatch{"lo0", false}));
  EXPECT_FALSE(passthrough.proto);

  const Rule& selfInbound = ruleAt(m, ChainId::kOutbound, 1);
  EXPECT_EQ(selfInbound.proto, L4::kTcp);
  EXPECT_EQ(selfInbound.outIface, (IfaceMatch{"lo0", false}));
  ASSERT_TRUE(selfInbound.dst);
  EXPECT_TRUE(selfInbound.dst->negate);
  EXPECT_EQ(selfInbound.dst->cidrs, (std::vector<Cidr>{cidr("127.0.0.1"), cidr("::1")}));
  EXPECT_EQ(selfInbound.uid, (UidMatch{uid, false}));
  EXPECT_EQ(selfInbound.action, Action{action::Jump{ChainId::kInboundRedirect}});

  const Rule& appLoopback = ruleAt(m, ChainId::kOutbound, 2);
  EXPECT_EQ(appLoopback.uid, (UidMatch{uid, true}));
  EXPECT_EQ(appLoopback.action, Action{action::Return{}});

  const Rule& sidecar = ruleAt(m, ChainId::kOutbound, 3);
  EXPECT_EQ(sidecar.uid, (UidMatch{uid, false}));
  EXPECT_FALSE(sidecar.proto);
  EXPECT_FALSE(sidecar.outIface);

  const Rule& localhost = ruleAt(m, ChainId::kOutbound, 4);
  ASSERT_TRUE(localhost.dst);
  EXPECT_FALSE(localhost.dst->negate);

  const Rule& redirect = ruleAt(m, ChainId::kOutbound, 5);
  EXPECT_EQ(redirect.action, Action{action::Jump{ChainId::kOutboundRedirect}});
  EXPECT_FALSE(redirect.proto);
}

TEST(RulesBuilder, LogsGoFirst) {
  Config cfg;
  cfg.logs = true;
  cfg.logLevel = 5;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kNatPrerouting), (Tags{"prerouting/log", "prerouting/inbound"}));
  EXPECT_EQ(tags(m, ChainId::kNatOutput), (Tags{"output/log", "output/outbound"}));
  // Kuma inserts the OUTPUT log at position 1 but appends the PREROUTING one.
  EXPECT_TRUE(ruleAt(m, ChainId::kNatOutput, 0).insert);
  EXPECT_FALSE(ruleAt(m, ChainId::kNatPrerouting, 0).insert);
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 0).action, (Action{action::Log{"OUTPUT:", 5}}));
  EXPECT_EQ(ruleAt(m, ChainId::kNatPrerouting, 0).action, (Action{action::Log{"PREROUTING:", 5}}));
}

TEST(RulesBuilder, OutboundExclusionsUidsThenAddressesAreInserted) {
  Config cfg;
  cfg.logs = true;
  cfg.outbound.excludeIps = {cidr("10.0.0.0/8"), cidr("fd00::/8"), cidr("10.1.0.0/16")};
  cfg.outbound.excludePortsForUids = {
      {{config::Protocol::kTcp, config::Protocol::kUdp}, {{80, 80}, {8000, 9000}}, {1000, 1005}},
      {{config::Protocol::kUdp}, {}, {7, 7}},
  };
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kNatOutput),
            (Tags{"output/log", "output/exclude-ports-for-uids", "output/exclude-ports-for-uids",
                  "output/exclude-ports-for-uids", "output/exclude-ips", "output/outbound"}));
  for (size_t i = 0; i < 5; ++i)
    EXPECT_TRUE(ruleAt(m, ChainId::kNatOutput, i).insert) << i;
  EXPECT_FALSE(ruleAt(m, ChainId::kNatOutput, 5).insert);

  const Rule& tcp = ruleAt(m, ChainId::kNatOutput, 1);
  EXPECT_EQ(tcp.proto, L4::kTcp);
  EXPECT_EQ(tcp.dport, (PortMatch{{{80, 80}, {8000, 9000}}, false}));
  EXPECT_EQ(tcp.uid, (UidMatch{{1000, 1005}, false}));
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 2).proto, L4::kUdp);
  // No ports = every port: no port match at all.
  const Rule& allPorts = ruleAt(m, ChainId::kNatOutput, 3);
  EXPECT_EQ(allPorts.proto, L4::kUdp);
  EXPECT_FALSE(allPorts.dport);
  EXPECT_EQ(allPorts.uid, (UidMatch{{7, 7}, false}));

  // Addresses are normalized (covered prefixes dropped); both families in one rule.
  const Rule& ips = ruleAt(m, ChainId::kNatOutput, 4);
  ASSERT_TRUE(ips.dst);
  EXPECT_EQ(ips.dst->cidrs, (std::vector<Cidr>{cidr("10.0.0.0/8"), cidr("fd00::/8")}));
  EXPECT_FALSE(ips.family);
}

TEST(RulesBuilder, InboundExclusions) {
  Config cfg;
  cfg.inbound.excludeIps = {cidr("192.168.0.0/16"), cidr("fe80::/10")};
  cfg.inbound.excludePorts = {{22, 22}, {9901, 9901}, {8080, 8081}};
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kInbound),
            (Tags{"inbound/exclude-ips", "inbound/exclude-ports", "inbound/redirect"}));
  EXPECT_EQ(ruleAt(m, ChainId::kInbound, 0).src->cidrs.size(), 2u);
  EXPECT_EQ(ruleAt(m, ChainId::kInbound, 1).dport,
            (PortMatch{{{22, 22}, {8080, 8081}, {9901, 9901}}, false}));
}

TEST(RulesBuilder, IncludePortsReplaceExclusionsAndCatchAll) {
  Config cfg;
  cfg.inbound.excludePorts = {{22, 22}};
  cfg.inbound.includePorts = {{8080, 8080}};
  cfg.outbound.excludePorts = {{443, 443}};
  cfg.outbound.includePorts = {{80, 80}};
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kInbound), Tags{"inbound/include-ports"});
  EXPECT_EQ(ruleAt(m, ChainId::kInbound, 0).action,
            (Action{action::Jump{ChainId::kInboundRedirect}}));
  Tags out = tags(m, ChainId::kOutbound);
  EXPECT_EQ(out.front(), "outbound/inbound-passthrough");
  EXPECT_EQ(out.back(), "outbound/include-ports");
  EXPECT_EQ(ruleAt(m, ChainId::kOutbound, out.size() - 1).dport, (PortMatch{{{80, 80}}, false}));
}

TEST(RulesBuilder, OutboundExcludedPortsComeFirst) {
  Config cfg;
  cfg.outbound.excludePorts = {{443, 443}, {80, 80}};
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kOutbound).front(), "outbound/exclude-ports");
  EXPECT_EQ(ruleAt(m, ChainId::kOutbound, 0).dport, (PortMatch{{{80, 80}, {443, 443}}, false}));
  EXPECT_EQ(ruleAt(m, ChainId::kOutbound, 0).proto, L4::kTcp);
}

TEST(RulesBuilder, GatewayReturnsInboundButKeepsRedirectChains) {
  Config cfg;
  cfg.inbound.enabled = false;
  cfg.inbound.excludePorts = {{22, 22}};
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kInbound), Tags{"inbound/disabled"});
  EXPECT_EQ(ruleAt(m, ChainId::kInbound, 0).action, Action{action::Return{}});
  ASSERT_NE(m.find(ChainId::kInboundRedirect), nullptr);
  // Kuma keeps the sidecar-to-self rule with inbound redirection off.
  EXPECT_EQ(tags(m, ChainId::kOutbound)[1], "outbound/sidecar-to-self-as-inbound");
}

TEST(RulesBuilder, OutboundDisabledReturns) {
  Config cfg;
  cfg.outbound.enabled = false;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kOutbound), Tags{"outbound/disabled"});
  EXPECT_EQ(tags(m, ChainId::kOutboundRedirect), Tags{"outbound-redirect"});
}

TEST(RulesBuilder, DnsCaptureAll) {
  Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  cfg.dns.port = 15054;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kRawOutput),
            (Tags{"dns/sidecar-upstream-zone", "dns/proxy-reply-zone", "dns/app-query-zone"}));
  EXPECT_EQ(tags(m, ChainId::kRawPrerouting), Tags{"dns/upstream-reply-zone"});
  EXPECT_EQ(ruleAt(m, ChainId::kRawOutput, 0).action, Action{action::CtZone{1}});
  EXPECT_EQ(ruleAt(m, ChainId::kRawOutput, 1).sport, (PortMatch{{{15054, 15054}}, false}));
  EXPECT_EQ(ruleAt(m, ChainId::kRawOutput, 1).action, Action{action::CtZone{2}});
  EXPECT_EQ(ruleAt(m, ChainId::kRawOutput, 2).action, Action{action::CtZone{2}});
  EXPECT_EQ(ruleAt(m, ChainId::kRawPrerouting, 0).action, Action{action::CtZone{1}});
  EXPECT_EQ(ruleAt(m, ChainId::kRawPrerouting, 0).sport, (PortMatch{{{53, 53}}, false}));

  EXPECT_EQ(tags(m, ChainId::kNatOutput), (Tags{"output/dns/sidecar-return", "output/dns/redirect",
                                                "output/dns/tcp-return", "output/outbound"}));
  EXPECT_TRUE(ruleAt(m, ChainId::kNatOutput, 0).insert);
  EXPECT_TRUE(ruleAt(m, ChainId::kNatOutput, 1).insert);
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 1).action, Action{action::Redirect{15054}});
  EXPECT_FALSE(ruleAt(m, ChainId::kNatOutput, 1).dst);
  // TCP/53 from the application returns early; appended like Kuma >= 2.14.
  const Rule& tcp = ruleAt(m, ChainId::kNatOutput, 2);
  EXPECT_FALSE(tcp.insert);
  EXPECT_EQ(tcp.proto, L4::kTcp);
  EXPECT_EQ(tcp.uid->negate, true);
}

TEST(RulesBuilder, DnsFromResolvConfPerServerAndFamily) {
  Config cfg;
  cfg.dns.enabled = true;
  Facts facts;
  facts.dnsServers = {ip("10.96.0.10"), ip("fd00::a"), ip("127.0.0.11")};
  Model m = build(cfg, facts);
  // One rule per server in resolv.conf order; the loopback resolver gets its reply rule.
  EXPECT_EQ(tags(m, ChainId::kRawOutput),
            (Tags{"dns/sidecar-upstream-zone", "dns/proxy-reply-zone", "dns/app-query-zone",
                  "dns/app-query-zone", "dns/app-query-zone", "dns/loopback-resolver-reply-zone"}));
  EXPECT_EQ(ruleAt(m, ChainId::kRawOutput, 2).dst->cidrs, std::vector<Cidr>{cidr("10.96.0.10")});
  EXPECT_EQ(ruleAt(m, ChainId::kRawOutput, 3).dst->cidrs, std::vector<Cidr>{cidr("fd00::a")});
  const Rule& lo = ruleAt(m, ChainId::kRawOutput, 5);
  EXPECT_EQ(lo.src->cidrs, std::vector<Cidr>{cidr("127.0.0.11")});
  EXPECT_EQ(lo.dst->cidrs, std::vector<Cidr>{cidr("127.0.0.1")});
  EXPECT_EQ(tags(m, ChainId::kRawPrerouting).size(), 3u);
  EXPECT_EQ(ruleAt(m, ChainId::kRawPrerouting, 1).src->cidrs, std::vector<Cidr>{cidr("fd00::a")});

  EXPECT_EQ(tags(m, ChainId::kNatOutput),
            (Tags{"output/dns/sidecar-return", "output/dns/redirect", "output/dns/redirect",
                  "output/dns/redirect", "output/dns/tcp-return", "output/outbound"}));
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 2).dst->cidrs, std::vector<Cidr>{cidr("fd00::a")});
}

TEST(RulesBuilder, DnsOnlyForFamiliesWithServers) {
  Config cfg;
  cfg.dns.enabled = true;
  Facts facts;
  facts.dnsServers = {ip("10.96.0.10")};
  Model m = build(cfg, facts);
  EXPECT_EQ(tags(m, ChainId::kRawOutput),
            (Tags{"dns/sidecar-upstream-zone@4", "dns/proxy-reply-zone@4", "dns/app-query-zone"}));
  EXPECT_EQ(tags(m, ChainId::kNatOutput),
            (Tags{"output/dns/sidecar-return@4", "output/dns/redirect", "output/dns/tcp-return@4",
                  "output/outbound"}));
}

TEST(RulesBuilder, DnsResolvConfWithoutServersAddsNothing) {
  Config cfg;
  cfg.dns.enabled = true;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(m.find(ChainId::kRawOutput), nullptr);
  EXPECT_EQ(tags(m, ChainId::kNatOutput), Tags{"output/outbound"});
}

TEST(RulesBuilder, SkipConntrackZoneSplit) {
  Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  cfg.dns.conntrackZoneSplit = false;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(m.find(ChainId::kRawOutput), nullptr);
  EXPECT_EQ(m.find(ChainId::kRawPrerouting), nullptr);
  EXPECT_EQ(tags(m, ChainId::kNatOutput).size(), 4u);
}

TEST(RulesBuilder, DockerOutputChainIsIpv4Only) {
  Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  Facts facts;
  facts.dockerOutputChain = true;
  Model m = build(cfg, facts);
  EXPECT_EQ(tags(m, ChainId::kNatOutput),
            (Tags{"output/dns/sidecar-return@4", "output/dns/sidecar-return@6",
                  "output/dns/redirect", "output/dns/tcp-return", "output/outbound"}));
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 0).action, Action{action::JumpForeign{"DOCKER_OUTPUT"}});
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 1).action, Action{action::Return{}});
  // Capture-all inside Docker: no zone split for IPv4; IPv6 keeps it.
  EXPECT_EQ(tags(m, ChainId::kRawOutput), (Tags{"dns/sidecar-upstream-zone@6",
                                                "dns/proxy-reply-zone@6", "dns/app-query-zone@6"}));
}

TEST(RulesBuilder, InsertOptionsKeepTcpDnsReturnAheadOfTheJump) {
  Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.captureAll = true;
  cfg.outbound.insertInsteadOfAppend = true;
  cfg.inbound.insertInsteadOfAppend = true;
  cfg.logs = true;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kNatOutput),
            (Tags{"output/log", "output/dns/sidecar-return", "output/dns/redirect",
                  "output/dns/tcp-return", "output/outbound"}));
  for (const auto& r : m.find(ChainId::kNatOutput)->rules)
    EXPECT_TRUE(r.insert) << r.tag;
  for (const auto& r : m.find(ChainId::kNatPrerouting)->rules)
    EXPECT_TRUE(r.insert) << r.tag;
}

TEST(RulesBuilder, WithoutIpv6NothingIsFamilySpecific) {
  Config cfg;
  cfg.dns.enabled = true;
  Facts facts;
  facts.ipv6 = false;
  facts.dnsServers = {ip("10.96.0.10"), ip("fd00::a")};
  Model m = build(cfg, facts);
  EXPECT_FALSE(m.ipv6);
  EXPECT_EQ(tags(m, ChainId::kInboundRedirect), Tags{"inbound-redirect"});
  EXPECT_EQ(tags(m, ChainId::kNatOutput), (Tags{"output/dns/sidecar-return", "output/dns/redirect",
                                                "output/dns/tcp-return", "output/outbound"}));
  EXPECT_EQ(ruleAt(m, ChainId::kNatOutput, 1).dst->cidrs, std::vector<Cidr>{cidr("10.96.0.10")});
}

TEST(RulesBuilder, SameInboundPortForBothFamiliesGivesOneRedirect) {
  Config cfg;
  cfg.inbound.portV6 = cfg.inbound.port;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kInboundRedirect), Tags{"inbound-redirect"});
}

TEST(RulesBuilder, DropInvalidPacketsInMangle) {
  Config cfg;
  cfg.dropInvalidPackets = true;
  Model m = build(cfg, Facts{});
  EXPECT_EQ(tags(m, ChainId::kManglePrerouting), Tags{"prerouting/drop-invalid"});
  const Rule& r = ruleAt(m, ChainId::kManglePrerouting, 0);
  EXPECT_TRUE(r.ctStateInvalid);
  EXPECT_EQ(r.action, Action{action::Drop{}});
}

// The renderers rely on it: a negated list cannot be split into several rules.
TEST(RulesBuilder, NegatedListsHoldOneEntryPerFamily) {
  Config cfg;
  cfg.dns.enabled = true;
  cfg.logs = true;
  cfg.dropInvalidPackets = true;
  cfg.inbound.excludePorts = {{1, 1}, {2, 2}};
  cfg.outbound.excludeIps = {cidr("10.0.0.0/8"), cidr("10.2.0.0/16"), cidr("fd00::/8")};
  cfg.outbound.excludePortsForUids = {{{config::Protocol::kTcp}, {{1, 2}, {4, 4}}, {1, 2}}};
  Facts facts;
  facts.dnsServers = {ip("10.96.0.10"), ip("10.96.0.11"), ip("fd00::a")};
  Model m = build(cfg, facts);
  for (const auto& c : m.chains) {
    for (const auto& r : c.rules) {
      for (const auto* a : {r.src ? &*r.src : nullptr, r.dst ? &*r.dst : nullptr}) {
        if (!a || !a->negate) continue;
        EXPECT_LE(cidrsOf(*a, Family::kV4).size(), 1u) << r.tag;
        EXPECT_LE(cidrsOf(*a, Family::kV6).size(), 1u) << r.tag;
      }
      for (const auto* p : {r.sport ? &*r.sport : nullptr, r.dport ? &*r.dport : nullptr}) {
        if (p && p->negate) {
          EXPECT_EQ(p->ports.size(), 1u) << r.tag;
        }
      }
      if (r.dport || r.sport) {
        EXPECT_TRUE(r.proto) << r.tag;
      }
    }
  }
}

// The builder takes the config stage's normalized lists as they are; a Config built by hand with
// unsorted or overlapping lists is normalized for it (with an error logged), never rendered raw.
TEST(RulesBuilder, UnnormalizedListsAreRepairedNotRenderedRaw) {
  Config messy;
  messy.inbound.excludePorts = {{443, 443}, {22, 22}, {23, 23}};
  messy.outbound.excludeIps = {cidr("fd00::/8"), cidr("10.1.0.0/16"), cidr("10.0.0.0/8")};
  Config clean = messy;
  config::normalizeLists(clean);
  ASSERT_EQ(config::unnormalizedList(clean), std::nullopt);
  Model m = build(messy, Facts{});
  EXPECT_EQ(m, build(clean, Facts{}));
  EXPECT_EQ(ruleAt(m, ChainId::kInbound, 0).dport, (PortMatch{{{22, 23}, {443, 443}}, false}));
}

TEST(RulesBuilder, Deterministic) {
  Config cfg;
  cfg.dns.enabled = true;
  cfg.outbound.excludeIps = {cidr("fd00::/8"), cidr("10.0.0.0/8")};
  Facts facts;
  facts.dnsServers = {ip("fd00::a"), ip("10.96.0.10")};
  EXPECT_EQ(build(cfg, facts), build(cfg, facts));
}

}  // namespace
}  // namespace kt::rules
