// Bounded cost of what the config stage lets through: the largest configuration the
// caps allow renders to a ruleset of bounded size, and port ranges keep large port sets to one
// rule. The numbers asserted here are the bound docs/bench.md states for the README. No timing is
// asserted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/strings.h"
#include "config/facts.h"
#include "config/loader.h"
#include "config/values.h"
#include "iptables/builder.h"
#include "iptables/render_iptables.h"
#include "iptables/render_nft.h"

namespace kt::config {
namespace {

// `count` ports from `first`, every other one (so no two merge into a range).
std::string spreadPorts(int first, size_t count) {
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(std::to_string(first + 2 * static_cast<int>(i)));
  return join(out, ",");
}

struct Rendered {
  std::string iptables;  // dry-run text, both families
  std::string nft;
  size_t iptablesRules = 0;  // -A / -I lines
};

Rendered render(const LoadRequest& req) {
  auto loaded = load(req);
  EXPECT_TRUE(loaded.ok()) << loaded.error().message();
  if (!loaded) return {};
  Facts facts;
  facts.ipv6 = loaded->config.ipv6Requested();
  auto model = rules::build(loaded->config, facts);
  Rendered r;
  r.iptables = rules::renderIptablesDryRun(model, rules::IptablesOptions{true, false});
  r.nft = rules::renderNft(model, rules::NftOptions{true, true});
  for (auto line : split(r.iptables, '\n'))
    if (startsWith(line, "-A ") || startsWith(line, "-I ")) ++r.iptablesRules;
  return r;
}

// The most distinct port ranges one port list can hold: every other port (more entries merge).
constexpr size_t kMostPortRanges = 32768;

// Every list as large as its cap lets it be after merging: 32767 + 32768 excluded ports (every
// even port outbound, every odd one inbound: none adjacent, no redirect port), 10000 + 10000
// excluded addresses (half IPv4, half IPv6), 64 uid exclusions of 512 ports each for tcp and
// udp, plus DNS capture, logs and drop-invalid.
LoadRequest largestConfiguration() {
  LoadRequest req;
  req.flags.push_back({"--exclude-outbound-ports", spreadPorts(2, kMostPortRanges - 1)});
  req.flags.push_back({"--exclude-inbound-ports", spreadPorts(1, kMostPortRanges)});
  std::vector<std::string> in, out;
  for (size_t i = 0; i < kMaxCidrEntries / 2; ++i) {
    in.push_back("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24");
    in.push_back("fd00:" + std::to_string(i) + "::/32");
    out.push_back("172." + std::to_string(16 + i / 256) + "." + std::to_string(i % 256) + ".1");
    out.push_back("fd01::" + std::to_string(i));
  }
  req.flags.push_back({"--exclude-inbound-ips", join(in, ",")});
  req.flags.push_back({"--exclude-outbound-ips", join(out, ",")});
  for (size_t k = 0; k < kMaxUidExclusions; ++k) {
    req.flags.push_back({"--exclude-outbound-ports-for-uids",
                         "tcp,udp:" + spreadPorts(30001 + static_cast<int>(k), kMaxUidPortEntries) +
                             ":" + std::to_string(1000 + k)});
  }
  req.flags.push_back({"--redirect-all-dns-traffic", "true"});
  req.flags.push_back({"--iptables-logs", "true"});
  req.flags.push_back({"--drop-invalid-packets", "true"});
  return req;
}

TEST(LimitsRender, LargestAcceptedConfigurationRendersToABoundedRuleset) {
  Rendered r = render(largestConfiguration());
  // The bound stated in docs/bench.md: at most 40 000 iptables rules for both families together
  // (8 MiB of restore input) and 3 MiB of nft script. The rules are linear in the entries:
  // 2 x 2185 multiport rules per family for the port lists, one rule per excluded address
  // (20 000), 64 x 2 x 35 per family for the uid exclusions, and the fixed rules.
  EXPECT_GT(r.iptablesRules, 35000u);  // the configuration really is large
  EXPECT_LE(r.iptablesRules, 40000u);
  EXPECT_LE(r.iptables.size(), 8u * 1024 * 1024);
  EXPECT_LE(r.nft.size(), 3u * 1024 * 1024);
}

TEST(LimitsRender, APortRangeIsOneRuleHoweverManyPortsItCovers) {
  LoadRequest base;
  base.flags = {{"--exclude-outbound-ports", "22"}};
  LoadRequest all;
  all.flags = {{"--exclude-outbound-ports", "1-15000,15002-65535"}};
  Rendered one = render(base), many = render(all);
  // 65534 excluded ports cost one more port entry in the same rule per family, not 65533
  // rules: the same number of rules, a few bytes more text (nft: a set with two intervals).
  EXPECT_EQ(many.iptablesRules, one.iptablesRules);
  EXPECT_LT(many.iptables.size(), one.iptables.size() + 256);
  EXPECT_LT(many.nft.size(), one.nft.size() + 256);
}

TEST(LimitsRender, PortListsCostOneRulePerFifteenPorts) {
  LoadRequest one, full;
  one.flags = {{"--exclude-outbound-ports", "2"}};
  full.flags = {{"--exclude-outbound-ports", spreadPorts(2, kMostPortRanges - 1)}};
  Rendered a = render(one), b = render(full);
  // 32767 ports in multiport rules of at most 15 ports: 2185 rules per family instead of 1.
  EXPECT_EQ(b.iptablesRules - a.iptablesRules, 2u * (2185 - 1));
}

}  // namespace
}  // namespace kt::config
