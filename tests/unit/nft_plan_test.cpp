// Lowering the rule model to an NftPlan: families, set types, negations, ranges, concatenations.
#include <gtest/gtest.h>

#include "iptables/builder.h"
#include "iptables/nft_plan.h"
#include "support/literals.h"

namespace kt::rules {
namespace {

namespace n = nft;

using testing::cidr;

// A model with one regular chain holding `rules`, both families on.
Model oneChain(std::vector<Rule> rules, ChainId id = ChainId::kOutbound) {
  Model m;
  m.chains.push_back(Chain{id, std::move(rules)});
  return m;
}

Rule returnRule(const std::string& tag) {
  Rule r;
  r.action = action::Return{};
  r.tag = tag;
  return r;
}

const NftChain& onlyChain(const NftPlan& p) {
  EXPECT_EQ(p.chains.size(), 1u);
  return p.chains.front();
}

template <class T>
const T& stmt(const NftRule& r, size_t i) {
  EXPECT_LT(i, r.statements.size());
  const T* s = std::get_if<T>(&r.statements.at(i));
  EXPECT_NE(s, nullptr) << "statement " << i << " has another type";
  static T fallback{};
  return s ? *s : fallback;
}

TEST(NftPlan, MixedFamilyAddressesSplitIntoIpAndIp6Rules) {
  Rule r = returnRule("output/exclude-ips");
  r.dst = AddrMatch{{cidr("10.0.0.0/8"), cidr("fd00::/8")}, false};
  auto plan = lowerToNft(oneChain({r}));
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 2u);
  const auto& v4 = stmt<n::AddrMatch>(c.rules[0], 0);
  EXPECT_EQ(v4.family, Family::kV4);
  EXPECT_FALSE(v4.source);
  EXPECT_EQ(std::get<Cidr>(v4.value), cidr("10.0.0.0/8"));
  const auto& v6 = stmt<n::AddrMatch>(c.rules[1], 0);
  EXPECT_EQ(v6.family, Family::kV6);
  EXPECT_EQ(std::get<Cidr>(v6.value), cidr("fd00::/8"));
  // The address match implies the family: no explicit meta nfproto.
  EXPECT_EQ(c.rules[0].statements.size(), 2u);
  EXPECT_TRUE(plan.sets.empty());
}

TEST(NftPlan, AddressListsBecomeIntervalSetsPerFamily) {
  Rule r = returnRule("inbound/exclude-ips");
  r.src = AddrMatch{{cidr("10.0.0.0/8"), cidr("192.168.0.1"), cidr("fd00::/8"), cidr("fe80::/10")},
                    false};
  auto plan = lowerToNft(oneChain({r}, ChainId::kInbound));
  ASSERT_EQ(plan.sets.size(), 2u);
  EXPECT_EQ(plan.sets[0].name, "inbound_exclude_ips_saddr4");
  EXPECT_EQ(plan.sets[0].key, NftSetKey::kIpv4Addr);
  EXPECT_EQ(plan.sets[0].cidrs, (std::vector<Cidr>{cidr("10.0.0.0/8"), cidr("192.168.0.1")}));
  EXPECT_EQ(plan.sets[1].name, "inbound_exclude_ips_saddr6");
  EXPECT_EQ(plan.sets[1].key, NftSetKey::kIpv6Addr);
  EXPECT_EQ(plan.sets[1].cidrs.size(), 2u);
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(std::get<std::string>(stmt<n::AddrMatch>(c.rules[0], 0).value),
            "inbound_exclude_ips_saddr4");
  EXPECT_TRUE(stmt<n::AddrMatch>(c.rules[0], 0).source);
  EXPECT_EQ(std::get<std::string>(stmt<n::AddrMatch>(c.rules[1], 0).value),
            "inbound_exclude_ips_saddr6");
}

TEST(NftPlan, NegatedAddressKeepsNegationPerFamily) {
  Rule r = returnRule("outbound/sidecar-to-self-as-inbound");
  r.dst = AddrMatch{{cidr("127.0.0.1"), cidr("::1")}, true};
  auto plan = lowerToNft(oneChain({r}));
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 2u);
  EXPECT_TRUE(stmt<n::AddrMatch>(c.rules[0], 0).negate);
  EXPECT_TRUE(stmt<n::AddrMatch>(c.rules[1], 0).negate);
}

TEST(NftPlan, RuleWithoutAddressesOfAFamilyIsDroppedForIt) {
  Rule r = returnRule("output/exclude-ips");
  r.dst = AddrMatch{{cidr("10.0.0.0/8")}, false};
  auto plan = lowerToNft(oneChain({r}));
  ASSERT_EQ(onlyChain(plan).rules.size(), 1u);
  EXPECT_EQ(stmt<n::AddrMatch>(onlyChain(plan).rules[0], 0).family, Family::kV4);
}

TEST(NftPlan, FamilyTaggedRuleGetsMetaNfproto) {
  Rule r;
  r.family = Family::kV6;
  r.proto = L4::kTcp;
  r.action = action::Redirect{15010};
  r.tag = "inbound-redirect";
  auto plan = lowerToNft(oneChain({r}, ChainId::kInboundRedirect));
  const auto& rule = onlyChain(plan).rules.at(0);
  ASSERT_EQ(rule.statements.size(), 3u);
  EXPECT_EQ(stmt<n::MetaNfproto>(rule, 0).family, Family::kV6);
  EXPECT_EQ(stmt<n::MetaL4proto>(rule, 1).proto, L4::kTcp);
  EXPECT_EQ(stmt<n::Redirect>(rule, 2).port, 15010);
}

TEST(NftPlan, PortsAreValueRangeOrIntervalSet) {
  Rule single = returnRule("a");
  single.proto = L4::kTcp;
  single.dport = PortMatch{{{53, 53}}, false};
  Rule range = returnRule("b");
  range.proto = L4::kUdp;
  range.sport = PortMatch{{{8000, 9000}}, true};
  Rule list = returnRule("outbound/exclude-ports");
  list.proto = L4::kTcp;
  list.dport = PortMatch{{{22, 22}, {9901, 9901}, {10000, 10010}}, true};
  auto plan = lowerToNft(oneChain({single, range, list}));
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 3u);

  const auto& p0 = stmt<n::PortMatch>(c.rules[0], 0);
  EXPECT_EQ(p0.proto, L4::kTcp);
  EXPECT_FALSE(p0.source);
  EXPECT_EQ(std::get<PortRange>(p0.value), (PortRange{53, 53}));
  EXPECT_FALSE(p0.negate);

  const auto& p1 = stmt<n::PortMatch>(c.rules[1], 0);
  EXPECT_EQ(p1.proto, L4::kUdp);
  EXPECT_TRUE(p1.source);
  EXPECT_EQ(std::get<PortRange>(p1.value), (PortRange{8000, 9000}));
  EXPECT_TRUE(p1.negate);

  const auto& p2 = stmt<n::PortMatch>(c.rules[2], 0);
  EXPECT_EQ(std::get<std::string>(p2.value), "outbound_exclude_ports_dport");
  EXPECT_TRUE(p2.negate);
  ASSERT_EQ(plan.sets.size(), 1u);
  EXPECT_EQ(plan.sets[0].key, NftSetKey::kInetService);
  EXPECT_EQ(plan.sets[0].ports, (std::vector<PortRange>{{22, 22}, {9901, 9901}, {10000, 10010}}));
  // No rule needs an explicit meta l4proto: the port match implies it.
  for (const auto& r : c.rules)
    for (const auto& s : r.statements)
      EXPECT_FALSE(std::holds_alternative<n::MetaL4proto>(s));
}

Rule uidExclusion(L4 proto, std::vector<PortRange> ports, UidRange uids) {
  Rule r = returnRule("output/exclude-ports-for-uids");
  r.proto = proto;
  r.dport = PortMatch{std::move(ports), false};
  r.uid = UidMatch{uids, false};
  r.insert = true;
  return r;
}

TEST(NftPlan, ProtocolPairsMergeIntoOneConcatenationLookup) {
  auto plan = lowerToNft(oneChain({uidExclusion(L4::kTcp, {{80, 80}, {1000, 2000}}, {1000, 1005}),
                                   uidExclusion(L4::kUdp, {{80, 80}, {1000, 2000}}, {1000, 1005})},
                                  ChainId::kNatOutput));
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 1u);
  const auto& lookup = stmt<n::ProtoPortLookup>(c.rules[0], 0);
  EXPECT_EQ(lookup.set, "output_exclude_ports_for_uids_l4dport");
  EXPECT_FALSE(lookup.negate);
  const auto& uid = stmt<n::SkuidMatch>(c.rules[0], 1);
  EXPECT_EQ(uid.uids, (UidRange{1000, 1005}));
  EXPECT_FALSE(uid.negate);
  ASSERT_EQ(plan.sets.size(), 1u);
  EXPECT_EQ(plan.sets[0].key, NftSetKey::kProtoService);
  std::vector<ProtoPorts> want{{L4::kTcp, {80, 80}},
                               {L4::kTcp, {1000, 2000}},
                               {L4::kUdp, {80, 80}},
                               {L4::kUdp, {1000, 2000}}};
  EXPECT_EQ(plan.sets[0].protoPorts, want);
}

// The set type follows the list: hash sets for single ports (keyed by protocol . port) and
// host addresses, interval sets only for port ranges and real prefixes.
TEST(NftPlan, SetTypeFollowsTheList) {
  Rule singles = returnRule("outbound/exclude-ports");
  singles.proto = L4::kTcp;
  singles.dport = PortMatch{{{22, 22}, {9901, 9901}}, false};
  Rule ranged = returnRule("inbound/exclude-ports");
  ranged.proto = L4::kTcp;
  ranged.dport = PortMatch{{{22, 22}, {8000, 8010}}, false};
  Rule hosts = returnRule("outbound/exclude-ips");
  hosts.dst =
      AddrMatch{{cidr("10.0.0.1"), cidr("10.0.0.3"), cidr("fd00::1"), cidr("fd00::3")}, false};
  Rule prefixes = returnRule("inbound/exclude-ips");
  prefixes.src =
      AddrMatch{{cidr("10.0.0.1"), cidr("10.1.0.0/16"), cidr("fd00::1"), cidr("fd01::/16")}, false};
  auto plan = lowerToNft(oneChain({singles, ranged, hosts, prefixes}));
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 6u);
  ASSERT_EQ(plan.sets.size(), 6u);

  const auto& lookup = stmt<n::ProtoPortLookup>(c.rules[0], 0);
  EXPECT_EQ(lookup.set, "outbound_exclude_ports_dport");
  EXPECT_FALSE(lookup.negate);
  EXPECT_FALSE(lookup.interval);
  EXPECT_EQ(c.rules[0].statements.size(), 2u) << "the protocol is part of the key";
  EXPECT_EQ(plan.sets[0].key, NftSetKey::kProtoService);
  EXPECT_FALSE(plan.sets[0].interval);
  EXPECT_EQ(plan.sets[0].protoPorts,
            (std::vector<ProtoPorts>{{L4::kTcp, {22, 22}}, {L4::kTcp, {9901, 9901}}}));

  EXPECT_EQ(std::get<std::string>(stmt<n::PortMatch>(c.rules[1], 0).value),
            "inbound_exclude_ports_dport");
  EXPECT_EQ(plan.sets[1].key, NftSetKey::kInetService);
  EXPECT_TRUE(plan.sets[1].interval);

  for (size_t i : {2u, 3u}) {  // hosts, IPv4 then IPv6
    EXPECT_EQ(plan.sets[i].key, i == 2 ? NftSetKey::kIpv4Addr : NftSetKey::kIpv6Addr);
    EXPECT_FALSE(plan.sets[i].interval) << plan.sets[i].name;
  }
  for (size_t i : {4u, 5u}) {  // a prefix in the list
    EXPECT_EQ(plan.sets[i].key, i == 4 ? NftSetKey::kIpv4Addr : NftSetKey::kIpv6Addr);
    EXPECT_TRUE(plan.sets[i].interval) << plan.sets[i].name;
  }
}

TEST(NftPlan, MergedProtocolSetIsAnIntervalSetOnlyWithARange) {
  auto singles = lowerToNft(oneChain({uidExclusion(L4::kTcp, {{80, 80}, {90, 90}}, {1000, 1000}),
                                      uidExclusion(L4::kUdp, {{80, 80}, {90, 90}}, {1000, 1000})},
                                     ChainId::kNatOutput));
  ASSERT_EQ(singles.sets.size(), 1u);
  EXPECT_FALSE(singles.sets[0].interval);
  EXPECT_FALSE(stmt<n::ProtoPortLookup>(onlyChain(singles).rules[0], 0).interval);
  auto ranged = lowerToNft(oneChain({uidExclusion(L4::kTcp, {{80, 80}, {90, 95}}, {1000, 1000}),
                                     uidExclusion(L4::kUdp, {{80, 80}, {90, 95}}, {1000, 1000})},
                                    ChainId::kNatOutput));
  ASSERT_EQ(ranged.sets.size(), 1u);
  EXPECT_TRUE(ranged.sets[0].interval);
  EXPECT_TRUE(stmt<n::ProtoPortLookup>(onlyChain(ranged).rules[0], 0).interval);
}

TEST(NftPlan, RulesThatDifferInMoreThanProtocolDoNotMerge) {
  auto plan = lowerToNft(oneChain({uidExclusion(L4::kTcp, {{80, 80}, {81, 90}}, {1000, 1000}),
                                   uidExclusion(L4::kUdp, {{80, 80}, {81, 90}}, {1001, 1001})},
                                  ChainId::kNatOutput));
  const auto& c = onlyChain(plan);
  ASSERT_EQ(c.rules.size(), 2u);
  // Each keeps its own inet_service set; set names stay unique.
  ASSERT_EQ(plan.sets.size(), 2u);
  EXPECT_EQ(plan.sets[0].name, "output_exclude_ports_for_uids_dport");
  EXPECT_EQ(plan.sets[1].name, "output_exclude_ports_for_uids_dport_2");
  EXPECT_EQ(plan.sets[0].key, NftSetKey::kInetService);
  EXPECT_EQ(std::get<std::string>(stmt<n::PortMatch>(c.rules[1], 0).value),
            "output_exclude_ports_for_uids_dport_2");
}

TEST(NftPlan, NegatedPortListsDoNotMerge) {
  Rule a = uidExclusion(L4::kTcp, {{80, 80}}, {1000, 1000});
  Rule b = uidExclusion(L4::kUdp, {{80, 80}}, {1000, 1000});
  a.dport->negate = b.dport->negate = true;
  auto plan = lowerToNft(oneChain({a, b}, ChainId::kNatOutput));
  ASSERT_EQ(onlyChain(plan).rules.size(), 2u);
  EXPECT_TRUE(stmt<n::PortMatch>(onlyChain(plan).rules[0], 0).negate);
}

TEST(NftPlan, UidValueRangeAndNegation) {
  Rule a = returnRule("a");
  a.uid = UidMatch{{5678, 5678}, false};
  Rule b = returnRule("b");
  b.uid = UidMatch{{1000, 2000}, true};
  auto plan = lowerToNft(oneChain({a, b}));
  const auto& c = onlyChain(plan);
  EXPECT_EQ(stmt<n::SkuidMatch>(c.rules[0], 0).uids, (UidRange{5678, 5678}));
  EXPECT_FALSE(stmt<n::SkuidMatch>(c.rules[0], 0).negate);
  EXPECT_EQ(stmt<n::SkuidMatch>(c.rules[1], 0).uids, (UidRange{1000, 2000}));
  EXPECT_TRUE(stmt<n::SkuidMatch>(c.rules[1], 0).negate);
}

TEST(NftPlan, CtZoneRulesEndWithReturn) {
  Rule r;
  r.proto = L4::kUdp;
  r.dport = PortMatch{{{53, 53}}, false};
  r.action = action::CtZone{2};
  r.tag = "dns/app-query-zone";
  auto plan = lowerToNft(oneChain({r}, ChainId::kRawOutput));
  const auto& rule = onlyChain(plan).rules.at(0);
  ASSERT_EQ(rule.statements.size(), 3u);
  EXPECT_EQ(stmt<n::CtZoneSet>(rule, 1).zone, 2);
  EXPECT_EQ(stmt<n::Verdict>(rule, 2).kind, n::Verdict::Kind::kReturn);
}

TEST(NftPlan, ActionsMapToVerdictsAndStatements) {
  Rule foreign = returnRule("output/dns/sidecar-return");
  foreign.action = action::JumpForeign{"DOCKER_OUTPUT"};
  Rule jump = returnRule("output/outbound");
  jump.action = action::Jump{ChainId::kOutbound};
  Rule drop = returnRule("prerouting/drop-invalid");
  drop.ctStateInvalid = true;
  drop.action = action::Drop{};
  Rule log = returnRule("output/log");
  log.action = action::Log{"OUTPUT:", 7};
  auto plan = lowerToNft(oneChain({foreign, jump, drop, log}, ChainId::kNatOutput));
  const auto& c = onlyChain(plan);
  EXPECT_EQ(stmt<n::Verdict>(c.rules[0], 0).kind, n::Verdict::Kind::kReturn);
  EXPECT_EQ(stmt<n::Verdict>(c.rules[1], 0).kind, n::Verdict::Kind::kJump);
  EXPECT_EQ(stmt<n::Verdict>(c.rules[1], 0).chain, "KUMA_MESH_OUTBOUND");
  EXPECT_TRUE(std::holds_alternative<n::CtStateInvalid>(c.rules[2].statements.at(0)));
  EXPECT_EQ(stmt<n::Verdict>(c.rules[2], 1).kind, n::Verdict::Kind::kDrop);
  ASSERT_EQ(c.rules[3].statements.size(), 1u);  // log is not terminal
  EXPECT_EQ(stmt<n::Log>(c.rules[3], 0).prefix, "OUTPUT:");
}

TEST(NftPlan, SingleFamilyModelGuardsBaseChainsOnly) {
  Model m;
  m.ipv6 = false;
  Rule entry = returnRule("output/outbound");
  entry.proto = L4::kTcp;
  entry.action = action::Jump{ChainId::kOutbound};
  Rule inside = returnRule("outbound/sidecar");
  inside.uid = UidMatch{{5678, 5678}, false};
  Rule v6only = returnRule("outbound/localhost");
  v6only.dst = AddrMatch{{cidr("::1")}, false};
  m.chains.push_back(Chain{ChainId::kNatOutput, {entry}});
  m.chains.push_back(Chain{ChainId::kOutbound, {inside, v6only}});
  auto plan = lowerToNft(m);
  ASSERT_EQ(plan.chains.size(), 2u);
  EXPECT_EQ(stmt<n::MetaNfproto>(plan.chains[0].rules.at(0), 0).family, Family::kV4);
  ASSERT_EQ(plan.chains[1].rules.size(), 1u);  // the IPv6-only rule is gone
  EXPECT_TRUE(std::holds_alternative<n::SkuidMatch>(plan.chains[1].rules[0].statements.at(0)));
}

TEST(NftPlan, ChainsMapToBaseChainsAndOurChains) {
  Model m;
  for (ChainId id : {ChainId::kRawPrerouting, ChainId::kRawOutput, ChainId::kNatPrerouting,
                     ChainId::kNatOutput, ChainId::kManglePrerouting, ChainId::kInbound})
    m.chains.push_back(Chain{id, {}});
  auto plan = lowerToNft(m);
  ASSERT_EQ(plan.chains.size(), 6u);
  struct Want {
    const char* name;
    NftChainType type;
    NftHook hook;
    int32_t prio;
  };
  Want want[] = {{"raw_prerouting", NftChainType::kFilter, NftHook::kPrerouting, -300},
                 {"raw_output", NftChainType::kFilter, NftHook::kOutput, -300},
                 {"nat_prerouting", NftChainType::kNat, NftHook::kPrerouting, -100},
                 {"nat_output", NftChainType::kNat, NftHook::kOutput, -100},
                 {"mangle_prerouting", NftChainType::kFilter, NftHook::kPrerouting, -150}};
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(want[i].name);
    EXPECT_EQ(plan.chains[i].name, want[i].name);
    ASSERT_TRUE(plan.chains[i].base.has_value());
    EXPECT_EQ(plan.chains[i].base->type, want[i].type);
    EXPECT_EQ(plan.chains[i].base->hook, want[i].hook);
    EXPECT_EQ(plan.chains[i].base->priority, want[i].prio);
  }
  EXPECT_EQ(plan.chains[5].name, "KUMA_MESH_INBOUND");
  EXPECT_FALSE(plan.chains[5].base.has_value());
}

TEST(NftPlan, CommentsFollowTheOption) {
  auto m = oneChain({returnRule("outbound/sidecar")});
  EXPECT_EQ(lowerToNft(m).chains[0].rules[0].comment,
            "kuma/mesh/transparent/proxy/outbound/sidecar");
  EXPECT_EQ(lowerToNft(m, {false}).chains[0].rules[0].comment, "");
  EXPECT_EQ(lowerToNft(m, {false}).chains[0].rules[0].tag, "outbound/sidecar");
}

TEST(NftPlan, BuiltFromConfigUsesEveryKindOfSet) {
  config::Config cfg;
  cfg.inbound.excludePorts = {{22, 22}, {8000, 8010}};
  cfg.outbound.excludePorts = {{22, 22}, {9901, 9901}};
  cfg.outbound.excludeIps = {cidr("10.0.0.0/8"), cidr("192.168.0.1"), cidr("fd00::/8"),
                             cidr("fe80::/10")};
  config::UidPortExclusion ex;
  ex.protocols = {config::Protocol::kTcp, config::Protocol::kUdp};
  ex.ports = {{53, 53}, {80, 80}};
  ex.uids = {1000, 1000};
  cfg.outbound.excludePortsForUids = {ex};
  config::Facts facts;
  auto plan = lowerToNft(build(cfg, facts));
  std::vector<NftSetKey> keys;
  for (const auto& s : plan.sets)
    keys.push_back(s.key);
  EXPECT_EQ(keys, (std::vector<NftSetKey>{NftSetKey::kProtoService, NftSetKey::kIpv4Addr,
                                          NftSetKey::kIpv6Addr, NftSetKey::kInetService,
                                          NftSetKey::kProtoService}));
  // Every lookup names a set of the plan and every jump a chain of the plan.
  for (const auto& c : plan.chains) {
    for (const auto& r : c.rules) {
      for (const auto& st : r.statements) {
        if (auto* v = std::get_if<n::Verdict>(&st); v && v->kind == n::Verdict::Kind::kJump) {
          EXPECT_NE(plan.findChain(v->chain), nullptr) << v->chain;
        }
        if (auto* a = std::get_if<n::AddrMatch>(&st); a && a->value.index() == 1) {
          EXPECT_NE(plan.findSet(std::get<std::string>(a->value)), nullptr);
        }
        if (auto* p = std::get_if<n::PortMatch>(&st); p && p->value.index() == 1) {
          EXPECT_NE(plan.findSet(std::get<std::string>(p->value)), nullptr);
        }
        if (auto* l = std::get_if<n::ProtoPortLookup>(&st)) {
          EXPECT_NE(plan.findSet(l->set), nullptr);
        }
      }
    }
  }
}

TEST(NftPlan, DefaultConfigHasNoSetsAndFourOfOurChains) {
  auto plan = lowerToNft(build(config::Config{}, config::Facts{}));
  EXPECT_TRUE(plan.sets.empty());
  std::vector<std::string> names;
  for (const auto& c : plan.chains)
    names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"nat_prerouting", "nat_output", "KUMA_MESH_INBOUND",
                                             "KUMA_MESH_OUTBOUND", "KUMA_MESH_INBOUND_REDIRECT",
                                             "KUMA_MESH_OUTBOUND_REDIRECT"}));
  EXPECT_EQ(plan, lowerToNft(build(config::Config{}, config::Facts{})));
}

}  // namespace
}  // namespace kt::rules
