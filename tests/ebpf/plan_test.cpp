// The eBPF plan (label unit): Config + Facts + pod facts -> the values the programs read.
#include "backend/ebpf/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/literals.h"

namespace kt::backend::ebpf {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::cidr;
using testing::ip;

PodFacts podFacts() {
  PodFacts p;
  p.netnsCookie = 4242;
  p.localAddresses = {{ip("127.0.0.1"), true}, {ip("10.0.0.2"), false}, {ip("::1"), true},
                      {ip("::6"), true},       {ip("fe80::1"), false},  {ip("fd00::2"), false}};
  return p;
}

uint32_t flagsOf(const PodPlan& plan, const char* c) {
  for (const auto& a : plan.addrs)
    if (a.cidr == cidr(c)) return a.flags;
  return 0xffffffff;
}

TEST(EbpfPlan, DefaultConfig) {
  config::Config cfg;
  config::Facts facts;
  auto plan = planPod(cfg, facts, podFacts());
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  const kt_pod& v = plan->pod;
  EXPECT_EQ(v.flags,
            KT_POD_IPV6 | KT_POD_OUTBOUND | KT_POD_INBOUND | KT_POD_BIND_SRC4 | KT_POD_BIND_SRC6);
  EXPECT_EQ(v.sidecar_uid, 5678u);
  EXPECT_EQ(v.outbound_port, 15001);
  EXPECT_EQ(v.inbound_port, 15006);
  EXPECT_EQ(v.inbound_port6, 15010);
  EXPECT_EQ(v.dns_port, 15053);
  EXPECT_EQ(v.out_port_set, 0);
  EXPECT_EQ(v.in_port_set, 0);
  EXPECT_EQ(v.n_uid_rules, 0u);
  EXPECT_EQ(v.in_ifindex, 0u);
  EXPECT_TRUE(plan->portSets.empty());
  // Source: the first global address of each family.
  IpAddress src4;
  std::memcpy(src4.bytes.data(), &v.src4, 4);
  EXPECT_EQ(src4.str(), "10.0.0.2");
  // Local addresses: loopback ranges, ::6 and the interfaces' addresses; 127.0.0.1 is covered
  // by 127.0.0.0/8 with the same flags and left out.
  std::vector<std::string> addrs;
  for (const auto& a : plan->addrs)
    addrs.push_back(a.cidr.str() + " " + describeAddrFlags(a.flags));
  EXPECT_THAT(addrs, ElementsAre("10.0.0.2/32 local", "127.0.0.0/8 local", "::1/128 local",
                                 "::6/128 local", "fd00::2/128 local", "fe80::1/128 local"));
}

TEST(EbpfPlan, InstanceIpIsTheSourceAndLocal) {
  config::Config cfg;
  config::Facts facts;
  PodFacts pf = podFacts();
  pf.instanceIps = {ip("10.0.0.9")};
  auto plan = planPod(cfg, facts, pf);
  ASSERT_TRUE(plan.ok());
  IpAddress src4;
  std::memcpy(src4.bytes.data(), &plan->pod.src4, 4);
  EXPECT_EQ(src4.str(), "10.0.0.9");
  EXPECT_EQ(flagsOf(*plan, "10.0.0.9/32"), KT_ADDR_LOCAL);
}

// What a dry-run plans from: nothing probed, only what the configuration says.
TEST(EbpfPlan, UnprobedNamespaceDescribesTheConfigurationOnly) {
  config::Config cfg;
  config::Facts facts;
  PodFacts pf;
  pf.instanceIps = {ip("10.0.0.9"), ip("fd00::9")};
  pf.inboundIface = "eth7";
  auto plan = planPod(cfg, facts, pf);
  ASSERT_TRUE(plan.ok());
  auto lines = describePlan(*plan);
  EXPECT_THAT(lines, Contains("netns cookie <cookie>"));
  EXPECT_THAT(lines, Contains("outbound TCP -> port 15001, source 10.0.0.9 / fd00::9"));
  EXPECT_THAT(lines, Contains("inbound TCP -> port 15006 (IPv6 15010), arriving on eth7"));
  std::vector<std::string> addrs;
  for (const auto& a : plan->addrs)
    addrs.push_back(a.cidr.str() + " " + describeAddrFlags(a.flags));
  EXPECT_THAT(addrs, ElementsAre("10.0.0.9/32 local", "127.0.0.0/8 local", "::1/128 local",
                                 "::6/128 local", "fd00::9/128 local"));
  // A resolved interface is described by its index, as verify reads it back.
  pf.inboundIfindex = 3;
  auto resolved = planPod(cfg, facts, pf);
  ASSERT_TRUE(resolved.ok());
  EXPECT_THAT(describePlan(*resolved),
              Contains("inbound TCP -> port 15006 (IPv6 15010), arriving on ifindex 3"));
  EXPECT_EQ(cookieText(4242), "4242");
}

TEST(EbpfPlan, PortsIncludeWinsOverExclude) {
  config::Config cfg;
  cfg.outbound.excludePorts = {{22, 22}, {9000, 9100}, {9050, 9200}};
  cfg.inbound.excludePorts = {{8081, 8081}};
  cfg.inbound.includePorts = {{80, 80}};
  auto plan = planPod(cfg, config::Facts{}, podFacts());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->pod.out_port_set, kOutboundPortSet);
  EXPECT_EQ(plan->pod.in_port_set, kInboundPortSet);
  EXPECT_FALSE(plan->pod.flags & KT_POD_OUT_INCLUDE);
  EXPECT_TRUE(plan->pod.flags & KT_POD_IN_INCLUDE);
  ASSERT_EQ(plan->portSets.size(), 2u);
  EXPECT_EQ(plan->portSets[0].ranges, (std::vector<PortRange>{{22, 22}, {9000, 9200}}));
  EXPECT_EQ(plan->portSets[1].ranges, (std::vector<PortRange>{{80, 80}}));
  EXPECT_THAT(describePlan(*plan), Contains("inbound TCP -> port 15006 (IPv6 15010), only ports "
                                            "80, arriving on any interface but loopback"));
}

TEST(EbpfPlan, UidRules) {
  config::Config cfg;
  config::UidPortExclusion a;
  a.protocols = {config::Protocol::kTcp, config::Protocol::kUdp};
  a.uids = {1000, 1005};
  config::UidPortExclusion b;
  b.protocols = {config::Protocol::kUdp};
  b.ports = {{53, 53}};
  b.uids = {7, 7};
  cfg.outbound.excludePortsForUids = {a, b};
  auto plan = planPod(cfg, config::Facts{}, podFacts());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->pod.n_uid_rules, 2u);
  EXPECT_EQ(plan->pod.uid_rules[0].uid_first, 1000u);
  EXPECT_EQ(plan->pod.uid_rules[0].uid_last, 1005u);
  EXPECT_EQ(plan->pod.uid_rules[0].protos, KT_PROTO_TCP | KT_PROTO_UDP);
  EXPECT_EQ(plan->pod.uid_rules[0].port_set, 0);
  EXPECT_EQ(plan->pod.uid_rules[1].protos, KT_PROTO_UDP);
  EXPECT_EQ(plan->pod.uid_rules[1].port_set, kFirstUidPortSet);
  EXPECT_THAT(describePlan(*plan), Contains("uid exclusion udp ports 53 uids 7"));

  cfg.outbound.excludePortsForUids.assign(KT_MAX_UID_RULES + 1, a);
  auto tooMany = planPod(cfg, config::Facts{}, podFacts());
  ASSERT_FALSE(tooMany.ok());
  EXPECT_EQ(tooMany.error().kind(), ErrorKind::kConfig);
  EXPECT_THAT(tooMany.error().message(), HasSubstr("at most 16"));
}

TEST(EbpfPlan, DnsPerFamily) {
  config::Config cfg;
  cfg.dns.enabled = true;
  config::Facts facts;
  facts.dnsServers = {ip("10.96.0.10")};
  auto plan = planPod(cfg, facts, podFacts());
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->pod.flags & KT_POD_DNS_V4);
  EXPECT_FALSE(plan->pod.flags & KT_POD_DNS_V6);
  EXPECT_FALSE(plan->pod.flags & KT_POD_DNS_ALL);
  EXPECT_EQ(flagsOf(*plan, "10.96.0.10/32"), KT_ADDR_DNS);

  cfg.dns.captureAll = true;
  plan = planPod(cfg, facts, podFacts());
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->pod.flags & KT_POD_DNS_V6);
  EXPECT_TRUE(plan->pod.flags & KT_POD_DNS_ALL);
  EXPECT_EQ(flagsOf(*plan, "10.96.0.10/32"), 0xffffffffu);  // capture-all lists no servers

  facts.ipv6 = false;
  plan = planPod(cfg, facts, podFacts());
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->pod.flags & KT_POD_DNS_V6);
  EXPECT_FALSE(plan->pod.flags & KT_POD_IPV6);
  EXPECT_FALSE(plan->pod.flags & KT_POD_BIND_SRC6);
  EXPECT_EQ(plan->pod.inbound_port6, 15006);
}

TEST(EbpfPlan, AddressFlagsAreClosedOverContainingPrefixes) {
  std::vector<AddrPlan> in = {
      {cidr("10.0.0.0/8"), KT_ADDR_EXCLUDE_OUT},
      {cidr("10.1.0.0/16"), KT_ADDR_EXCLUDE_IN},
      {cidr("10.1.2.3/32"), KT_ADDR_DNS},
      {cidr("10.1.2.3/32"), KT_ADDR_LOCAL},        // duplicate prefix: merged
      {cidr("10.2.0.0/16"), KT_ADDR_EXCLUDE_OUT},  // adds nothing to 10/8: dropped
      {cidr("11.0.0.0/8"), KT_ADDR_EXCLUDE_IN},
      {cidr("fd00::/8"), KT_ADDR_EXCLUDE_OUT},
      {cidr("fd00::1/128"), KT_ADDR_LOCAL},
  };
  auto out = closeAddrFlags(in);
  std::vector<std::string> got;
  for (const auto& a : out)
    got.push_back(a.cidr.str() + " " + describeAddrFlags(a.flags));
  EXPECT_THAT(got, ElementsAre("10.0.0.0/8 exclude-outbound",
                               "10.1.0.0/16 exclude-outbound,exclude-inbound",
                               "10.1.2.3/32 exclude-outbound,exclude-inbound,dns-server,local",
                               "11.0.0.0/8 exclude-inbound", "fd00::/8 exclude-outbound",
                               "fd00::1/128 exclude-outbound,local"));
}

TEST(EbpfPlan, ManyCidrsCloseQuickly) {
  // 10 000 excluded prefixes (the configuration's bound) are planned in O(n log n).
  std::vector<AddrPlan> in;
  for (int i = 0; i < 10000; ++i) {
    IpAddress a = IpAddress::v4(10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0);
    in.push_back({Cidr{a, 24}, KT_ADDR_EXCLUDE_OUT});
  }
  EXPECT_EQ(closeAddrFlags(in).size(), 10000u);
}

TEST(EbpfPlan, AddrKeyRoundTrip) {
  for (const char* c : {"10.1.2.0/24", "0.0.0.0/0", "fd00::/8", "::1/128", "192.0.2.7/32"}) {
    kt_addr_key key = addrKey(77, 5, cidr(c));
    EXPECT_EQ(key.prefixlen, KT_ADDR_PREFIX_BASE + cidr(c).prefix);
    EXPECT_EQ(key.netns, 77u);
    EXPECT_EQ(key.tag >> 8, 5u);
    auto back = cidrOfKey(key);
    ASSERT_TRUE(back.has_value()) << c;
    EXPECT_EQ(*back, cidr(c));
  }
}

TEST(EbpfPlan, PortBitmap) {
  kt_port_set set = portBitmap({{1, 1}, {63, 65}, {65535, 65535}});
  auto has = [&](uint32_t p) { return (set.bits[p / 64] >> (p % 64)) & 1; };
  EXPECT_TRUE(has(1));
  EXPECT_FALSE(has(2));
  EXPECT_TRUE(has(63));
  EXPECT_TRUE(has(64));
  EXPECT_TRUE(has(65));
  EXPECT_FALSE(has(66));
  EXPECT_TRUE(has(65535));
  EXPECT_FALSE(has(0));
}

}  // namespace
}  // namespace kt::backend::ebpf
