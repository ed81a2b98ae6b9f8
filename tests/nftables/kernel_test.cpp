// Kernel tests of the native nftables backend (root, throwaway network namespaces):
// nft -c accepts every golden script; our netlink batch produces exactly what `nft -f` of the
// dry-run script produces; re-install, replace, uninstall, verify, rejected batches and large
// exclusion lists.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "backend/nftables/nft_installer.h"
#include "iptables/builder.h"
#include "iptables/render_nft.h"
#include "scenarios.h"
#include "support/scratch_netns.h"

namespace kt::testing {
namespace {

using backend::nftables::InstallOptions;
using backend::nftables::ReplaceStrategy;

rules::NftPlan planOf(const Scenario& s) {
  return rules::lowerToNft(rules::build(s.cfg, s.facts), rules::NftLowerOptions{s.cfg.comments});
}

std::string scriptOf(const Scenario& s) {
  return rules::renderNft(rules::build(s.cfg, s.facts), rules::NftOptions{s.cfg.comments, true});
}

Result<backend::nftables::InstallReport> installIn(const ScratchNetns& ns,
                                                   const rules::NftPlan& plan,
                                                   InstallOptions opt = {}) {
  KT_ASSIGN_OR_RETURN(auto guard, ns.enter());
  return backend::nftables::installPlan(plan, opt);
}

Result<std::vector<std::string>> verifyIn(const ScratchNetns& ns, const rules::NftPlan& plan) {
  KT_ASSIGN_OR_RETURN(auto guard, ns.enter());
  return backend::nftables::verifyPlan(plan);
}

Result<bool> removeIn(const ScratchNetns& ns) {
  KT_ASSIGN_OR_RETURN(auto guard, ns.enter());
  return backend::nftables::removeTable(rules::kNftTable);
}

// A hash set lists its elements in hash order, and every set gets its own random hash seed:
// two namespaces holding the same set list the same elements in different orders. These put
// the elements of each set in one order.
std::string sortedElementLists(const std::string& text) {
  static const std::regex kList("elements = \\{([^}]*)\\}");
  std::string out;
  auto it = std::sregex_iterator(text.begin(), text.end(), kList);
  size_t done = 0;
  for (; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    out.append(text, done, m.position(0) - done);
    std::vector<std::string> items;
    std::stringstream in(m.str(1));
    std::string item;
    while (std::getline(in, item, ',')) {
      auto first = item.find_first_not_of(" \t\n");
      auto last = item.find_last_not_of(" \t\n");
      if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    }
    std::sort(items.begin(), items.end());
    out += "elements = {";
    for (size_t i = 0; i < items.size(); ++i)
      out += (i ? ", " : " ") + items[i];
    out += " }";
    done = m.position(0) + m.length(0);
  }
  out.append(text, done, std::string::npos);
  return out;
}

std::string sortedElementLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  std::string out;
  for (size_t i = 0; i < lines.size();) {
    size_t j = i;
    while (j < lines.size() && lines[j].rfind("\telement ", 0) == 0)
      ++j;
    std::sort(lines.begin() + static_cast<long>(i), lines.begin() + static_cast<long>(j));
    for (size_t k = i; k < std::max(j, i + 1); ++k)
      out += lines[k] + "\n";
    i = std::max(j, i + 1);
  }
  return out;
}

std::string listTable(const ScratchNetns& ns) {
  auto out = ns.check("nft", {"list", "table", "inet", "kuma_mesh"});
  EXPECT_TRUE(out.ok()) << out.error().message();
  return out.ok() ? sortedElementLists(*out) : "";
}

// The kernel's bytecode as nft prints it, without rule handles and positions and with each
// set's elements in one order (the only things that legitimately differ between two
// namespaces).
std::string listBytecode(const ScratchNetns& ns) {
  auto out = ns.check("nft", {"--debug=netlink", "list", "table", "inet", "kuma_mesh"});
  EXPECT_TRUE(out.ok()) << out.error().message();
  static const std::regex kHeader("^(inet kuma_mesh [A-Za-z_]+)( [0-9]+)+$", std::regex::multiline);
  return out.ok() ? sortedElementLines(std::regex_replace(*out, kHeader, "$1")) : "";
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

bool hasLine(const std::vector<std::string>& lines, const std::string& prefix,
             const std::string& part) {
  for (const auto& l : lines)
    if (l.rfind(prefix, 0) == 0 && l.find(part) != std::string::npos) return true;
  return false;
}

std::string paramName(const ::testing::TestParamInfo<Scenario>& p) {
  std::string n = p.param.name;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

// --- netlink install == nft -f ------------------------------------------------------------

std::vector<Scenario> installScenarios() {
  auto all = nftScenarios();
  all.push_back(manyExclusions(100));
  return all;
}

class NftInstall : public ::testing::TestWithParam<Scenario> {};

TEST_P(NftInstall, SameTableAsNftOfTheDryRunScript) {
  KT_REQUIRE_ROOT();
  const auto& s = GetParam();
  auto ours = newNetns("nft");
  auto theirs = newNetns("nft");
  ASSERT_TRUE(ours && theirs);
  auto report = installIn(*ours, planOf(s));
  KT_ASSERT_OK(report);
  EXPECT_FALSE(report->replaced);
  KT_ASSERT_OK(theirs->check("nft", {"-f", "-"}, scriptOf(s)));

  EXPECT_EQ(listTable(*ours), listTable(*theirs));
  EXPECT_EQ(listBytecode(*ours), listBytecode(*theirs));
  auto diffs = verifyIn(*ours, planOf(s));
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, NftInstall, ::testing::ValuesIn(installScenarios()), paramName);

// --- re-install and replace ---------------------------------------------------------------

std::string strategyName(const ::testing::TestParamInfo<ReplaceStrategy>& p) {
  return p.param == ReplaceStrategy::kFlushAndRefill ? "FlushAndRefill" : "DeleteTable";
}

class NftReplace : public ::testing::TestWithParam<ReplaceStrategy> {};

TEST_P(NftReplace, InstallTwiceEqualsOnce) {
  KT_REQUIRE_ROOT();
  InstallOptions opt{GetParam()};
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto plan = planOf(nftScenario("exclusions"));
  KT_ASSERT_OK(installIn(*ns, plan, opt));
  std::string once = listBytecode(*ns);
  std::string onceText = listTable(*ns);
  auto again = installIn(*ns, plan, opt);
  KT_ASSERT_OK(again);
  EXPECT_TRUE(again->replaced);
  EXPECT_TRUE(again->unchanged) << "an identical table is left alone";
  EXPECT_EQ(again->messages, 0u);
  EXPECT_EQ(listBytecode(*ns), once);
  EXPECT_EQ(listTable(*ns), onceText);
  auto diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
}

TEST_P(NftReplace, ReplacingWithAnotherConfigEqualsAFreshInstall) {
  KT_REQUIRE_ROOT();
  InstallOptions opt{GetParam()};
  // Each pair changes sets, base chains or both in either direction.
  const std::pair<const char*, const char*> pairs[] = {{"exclusions", "default"},
                                                       {"default", "exclusions"},
                                                       {"logs-drop-invalid", "dns-servers"},
                                                       {"dns-capture-all", "gateway"}};
  for (const auto& [from, to] : pairs) {
    SCOPED_TRACE(std::string(from) + " -> " + to);
    auto ns = newNetns("nft");
    auto fresh = newNetns("nft");
    ASSERT_TRUE(ns && fresh);
    KT_ASSERT_OK(installIn(*ns, planOf(nftScenario(from)), opt));
    auto replaced = installIn(*ns, planOf(nftScenario(to)), opt);
    KT_ASSERT_OK(replaced);
    EXPECT_TRUE(replaced->replaced);
    EXPECT_FALSE(replaced->unchanged);
    EXPECT_EQ(replaced->strategy, GetParam());
    KT_ASSERT_OK(installIn(*fresh, planOf(nftScenario(to)), opt));
    EXPECT_EQ(listBytecode(*ns), listBytecode(*fresh));
    EXPECT_EQ(listTable(*ns), listTable(*fresh));
  }
}

TEST_P(NftReplace, ForeignAdditionsToOurTableAreReplaced) {
  KT_REQUIRE_ROOT();
  InstallOptions opt{GetParam()};
  auto ns = newNetns("nft");
  auto fresh = newNetns("nft");
  ASSERT_TRUE(ns && fresh);
  auto plan = planOf(nftScenario("default"));
  KT_ASSERT_OK(installIn(*ns, plan, opt));
  KT_ASSERT_OK(ns->check("nft", {"add", "chain", "inet", "kuma_mesh", "EXTRA"}));
  KT_ASSERT_OK(ns->check("nft", {"add", "rule", "inet", "kuma_mesh", "EXTRA", "tcp", "dport", "{",
                                 "1,", "2", "}", "accept"}));
  KT_ASSERT_OK(ns->check(
      "nft", {"add", "rule", "inet", "kuma_mesh", "KUMA_MESH_OUTBOUND", "jump", "EXTRA"}));
  KT_ASSERT_OK(ns->check(
      "nft", {"add", "set", "inet", "kuma_mesh", "stale", "{", "type", "ipv4_addr;", "}"}));
  auto r = installIn(*ns, plan, opt);
  KT_ASSERT_OK(r);
  EXPECT_FALSE(r->unchanged);
  KT_ASSERT_OK(installIn(*fresh, plan, opt));
  EXPECT_EQ(listTable(*ns), listTable(*fresh));
  auto diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
}

TEST_P(NftReplace, DormantTableIsWokenUp) {
  KT_REQUIRE_ROOT();
  InstallOptions opt{GetParam()};
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto plan = planOf(nftScenario("default"));
  KT_ASSERT_OK(installIn(*ns, plan, opt));
  KT_ASSERT_OK(
      ns->check("nft", {"add", "table", "inet", "kuma_mesh", "{", "flags", "dormant;", "}"}));
  auto diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(hasLine(*diffs, "+ unexpected: table flags 1", "dormant")) << join(*diffs);
  auto r = installIn(*ns, plan, opt);
  KT_ASSERT_OK(r);
  EXPECT_FALSE(r->unchanged);
  diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
  EXPECT_EQ(listTable(*ns).find("dormant"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Strategies, NftReplace,
                         ::testing::Values(ReplaceStrategy::kFlushAndRefill,
                                           ReplaceStrategy::kDeleteTable),
                         strategyName);

// --- uninstall ----------------------------------------------------------------------------

// Everything but comment lines (iptables-save prints dates in them).
std::string withoutComments(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.rfind("#", 0) != 0) out += line + "\n";
  return out;
}

TEST(NftUninstall, LeavesForeignTablesAndIptablesRulesUntouched) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  KT_ASSERT_OK(
      ns->check("nft", {"-f", "-"},
                "table inet foreign {\n"
                "  set ports { type inet_service; flags interval; elements = { 1-9 } }\n"
                "  chain out { type nat hook output priority -110; tcp dport @ports return; }\n"
                "  chain pre { type filter hook prerouting priority raw; udp dport 53 notrack; }\n"
                "}\n"
                "table ip kuma_mesh_not_ours {\n  chain c { counter; }\n}\n"));
  KT_ASSERT_OK(ns->check("iptables-nft", {"-t", "nat", "-A", "OUTPUT", "-p", "tcp", "--dport",
                                          "8080", "-j", "RETURN"}));
  KT_ASSERT_OK(ns->check(
      "iptables-nft", {"-t", "raw", "-A", "PREROUTING", "-p", "udp", "-j", "CT", "--zone", "3"}));
  KT_ASSERT_OK(ns->check("ip6tables-nft", {"-t", "mangle", "-N", "FOREIGN"}));
  KT_ASSERT_OK(ns->check("iptables-legacy", {"-t", "nat", "-A", "OUTPUT", "-p", "tcp", "--dport",
                                             "8081", "-j", "RETURN"}));
  auto snapshot = [&] {
    auto rs = ns->check("nft", {"list", "ruleset"});
    auto nftSave = ns->check("iptables-nft-save", {});
    auto legacySave = ns->check("iptables-legacy-save", {});
    EXPECT_TRUE(rs.ok() && nftSave.ok() && legacySave.ok());
    return (rs.ok() ? *rs : "") + "----\n" + withoutComments(nftSave.ok() ? *nftSave : "") +
           "----\n" + withoutComments(legacySave.ok() ? *legacySave : "");
  };
  std::string before = snapshot();
  ASSERT_NE(before.find("8080"), std::string::npos);
  ASSERT_NE(before.find("8081"), std::string::npos);

  KT_ASSERT_OK(installIn(*ns, planOf(nftScenario("exclusions"))));
  ASSERT_NE(snapshot(), before);
  auto removed = removeIn(*ns);
  KT_ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  EXPECT_EQ(snapshot(), before);

  auto again = removeIn(*ns);
  KT_ASSERT_OK(again);
  EXPECT_FALSE(*again) << "removing an absent table is a success that reports nothing removed";
  EXPECT_EQ(snapshot(), before);
}

// --- verify -------------------------------------------------------------------------------

// The handle of the first rule of `chain` whose line contains `needle`.
std::string handleOf(const ScratchNetns& ns, const std::string& chain, const std::string& needle) {
  auto out = ns.check("nft", {"-a", "list", "chain", "inet", "kuma_mesh", chain});
  EXPECT_TRUE(out.ok());
  std::istringstream in(out.ok() ? *out : "");
  std::string line;
  static const std::regex kHandle("# handle ([0-9]+)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.find(needle) != std::string::npos && std::regex_search(line, m, kHandle)) return m[1];
  }
  ADD_FAILURE() << "no rule with " << needle << " in " << chain;
  return "0";
}

TEST(NftVerify, OkAfterInstallThenReportsHandMadeChanges) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto plan = planOf(nftScenario("exclusions"));
  KT_ASSERT_OK(installIn(*ns, plan));
  auto diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);

  KT_ASSERT_OK(
      ns->check("nft", {"delete", "rule", "inet", "kuma_mesh", "KUMA_MESH_OUTBOUND", "handle",
                        handleOf(*ns, "KUMA_MESH_OUTBOUND", "outbound/sidecar\"")}));
  diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_EQ(diffs->size(), 1u) << join(*diffs);
  EXPECT_TRUE(hasLine(*diffs, "- missing: chain KUMA_MESH_OUTBOUND rule 7: ",
                      "meta skuid 5678 return comment "
                      "\"kuma/mesh/transparent/proxy/outbound/sidecar\""))
      << join(*diffs);

  KT_ASSERT_OK(ns->check("nft", {"delete", "element", "inet", "kuma_mesh",
                                 "outbound_exclude_ports_dport", "{", "8000-8100", "}"}));
  KT_ASSERT_OK(ns->check(
      "nft", {"add", "rule", "inet", "kuma_mesh", "nat_output", "tcp", "dport", "1234", "return"}));
  diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(hasLine(*diffs, "- missing: set outbound_exclude_ports_dport element 8000-8100", ""))
      << join(*diffs);
  // A rule the kernel has and the plan lacks is printed in nft syntax, not as expressions.
  EXPECT_TRUE(hasLine(*diffs, "+ unexpected: chain nat_output rule: ", "tcp dport 1234 return"))
      << join(*diffs);
  EXPECT_FALSE(hasLine(*diffs, "+ unexpected: chain nat_output rule: ", "0x0000d204"))
      << join(*diffs);
  EXPECT_EQ(diffs->size(), 3u) << join(*diffs);

  KT_ASSERT_OK(removeIn(*ns));
  diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_EQ(*diffs, std::vector<std::string>{"- missing: table inet kuma_mesh"});
}

// --- rejected batches ---------------------------------------------------------------------

// The plan of `scenario` plus one rule that jumps to a chain that does not exist; returns the
// plan and the position (1-based) of the bad rule in KUMA_MESH_OUTBOUND.
std::pair<rules::NftPlan, size_t> brokenPlan(const char* scenario) {
  auto plan = planOf(nftScenario(scenario));
  for (auto& c : plan.chains) {
    if (c.name != "KUMA_MESH_OUTBOUND") continue;
    rules::NftRule bad;
    bad.statements = {rules::nft::MetaL4proto{rules::L4::kTcp},
                      rules::nft::Verdict{rules::nft::Verdict::Kind::kJump, "KUMA_MESH_MISSING"}};
    bad.tag = "test/bad-jump";
    bad.comment = rules::kCommentPrefix + bad.tag;
    c.rules.insert(c.rules.begin() + 2, bad);
    return {plan, 3};
  }
  ADD_FAILURE() << "no KUMA_MESH_OUTBOUND chain";
  return {plan, 0};
}

void expectNamesTheBadRule(const Error& e, size_t position) {
  const std::string msg = e.message();
  EXPECT_NE(msg.find("rule " + std::to_string(position) +
                     " of chain KUMA_MESH_OUTBOUND (test/bad-jump: meta l4proto tcp jump "
                     "KUMA_MESH_MISSING)"),
            std::string::npos)
      << msg;
  // The kernel points at the failing expression through the extended ACK.
  EXPECT_NE(msg.find("expression 3 (immediate)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  EXPECT_EQ(e.errnum(), ENOENT);
}

TEST(NftRejected, FreshNamespaceKeepsNothing) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto [plan, position] = brokenPlan("exclusions");
  auto r = installIn(*ns, plan);
  ASSERT_FALSE(r.ok());
  expectNamesTheBadRule(r.error(), position);
  auto tables = ns->check("nft", {"list", "tables"});
  KT_ASSERT_OK(tables);
  EXPECT_EQ(*tables, "") << "a rejected batch must leave nothing behind";
}

class NftRejectedReplace : public ::testing::TestWithParam<ReplaceStrategy> {};

TEST_P(NftRejectedReplace, ExistingTableIsKept) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto good = planOf(nftScenario("dns-servers"));
  KT_ASSERT_OK(installIn(*ns, good));
  std::string before = listBytecode(*ns);
  auto [bad, position] = brokenPlan("exclusions");
  auto r = installIn(*ns, bad, InstallOptions{GetParam()});
  ASSERT_FALSE(r.ok());
  expectNamesTheBadRule(r.error(), position);
  EXPECT_EQ(listBytecode(*ns), before);
  auto diffs = verifyIn(*ns, good);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
}

INSTANTIATE_TEST_SUITE_P(Strategies, NftRejectedReplace,
                         ::testing::Values(ReplaceStrategy::kFlushAndRefill,
                                           ReplaceStrategy::kDeleteTable),
                         strategyName);

// Hash sets (single ports as protocol . port, host addresses) read back element by element: a
// removed and an added element are both reported, in nft's spelling.
TEST(NftVerify, ReportsChangedHashSetElements) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto plan = planOf(nftScenario("hash-sets"));
  KT_ASSERT_OK(installIn(*ns, plan));
  auto diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);

  KT_ASSERT_OK(ns->check("nft", {"delete", "element", "inet", "kuma_mesh",
                                 "inbound_exclude_ports_dport", "{", "tcp", ".", "9901", "}"}));
  // A hash set holds at most its declared size: make room before adding.
  KT_ASSERT_OK(ns->check("nft", {"delete", "element", "inet", "kuma_mesh",
                                 "output_exclude_ips_daddr4", "{", "172.16.5.6", "}"}));
  KT_ASSERT_OK(ns->check("nft", {"add", "element", "inet", "kuma_mesh", "output_exclude_ips_daddr4",
                                 "{", "172.16.5.9", "}"}));
  diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(hasLine(*diffs, "- missing: set inbound_exclude_ports_dport element tcp . 9901", ""))
      << join(*diffs);
  EXPECT_TRUE(hasLine(*diffs, "- missing: set output_exclude_ips_daddr4 element 172.16.5.6", ""))
      << join(*diffs);
  EXPECT_TRUE(hasLine(*diffs, "+ unexpected: set output_exclude_ips_daddr4 element 172.16.5.9", ""))
      << join(*diffs);
  EXPECT_EQ(diffs->size(), 3u) << join(*diffs);

  // A re-install repairs it; uninstall removes the whole table.
  auto again = installIn(*ns, plan);
  KT_ASSERT_OK(again);
  EXPECT_FALSE(again->unchanged);
  diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
  auto removed = removeIn(*ns);
  KT_ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
}

// --- large exclusion lists ----------------------------------------------------------------

TEST(NftLarge, FiveThousandExcludedPortsAndAddresses) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  auto s = manyExclusions(5000);
  auto plan = planOf(s);
  ASSERT_EQ(plan.sets.size(), 2u);
  auto report = installIn(*ns, plan);
  KT_ASSERT_OK(report);
  EXPECT_GT(report->messages, 10u) << "elements are split over several netlink messages";
  auto diffs = verifyIn(*ns, plan);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
  auto ports =
      ns->check("nft", {"list", "set", "inet", "kuma_mesh", "outbound_exclude_ports_dport"});
  KT_ASSERT_OK(ports);
  // A hash set of protocol . port pairs: nft lists one element per line.
  EXPECT_NE(ports->find("type inet_proto . inet_service\n"), std::string::npos) << *ports;
  EXPECT_EQ(ports->find("flags interval"), std::string::npos) << *ports;
  EXPECT_NE(ports->find("tcp . 10000"), std::string::npos);
  EXPECT_NE(ports->find("tcp . 24997"), std::string::npos);
  auto addrs = ns->check("nft", {"list", "set", "inet", "kuma_mesh", "output_exclude_ips_daddr4"});
  KT_ASSERT_OK(addrs);
  EXPECT_NE(addrs->find("type ipv4_addr\n"), std::string::npos) << *addrs;
  EXPECT_EQ(addrs->find("flags interval"), std::string::npos) << *addrs;
  // Re-running is a no-op; replacing the big table with another big one works too.
  auto again = installIn(*ns, plan);
  KT_ASSERT_OK(again);
  EXPECT_TRUE(again->unchanged);
  auto other = planOf(manyExclusions(4999));
  again = installIn(*ns, other);
  KT_ASSERT_OK(again);
  EXPECT_TRUE(again->replaced);
  EXPECT_FALSE(again->unchanged);
  diffs = verifyIn(*ns, other);
  KT_ASSERT_OK(diffs);
  EXPECT_TRUE(diffs->empty()) << join(*diffs);
}

}  // namespace
}  // namespace kt::testing
