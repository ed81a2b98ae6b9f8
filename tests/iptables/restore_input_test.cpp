// The restore input the backend composes from *-save output and rendered rules, and verify's
// differences.
#include <gtest/gtest.h>

#include "backend/iptables/restore_input.h"

namespace kt::backend::iptables {
namespace {

const char* kPrevious =
    "*nat\n"
    ":PREROUTING ACCEPT [0:0]\n"
    ":OUTPUT ACCEPT [0:0]\n"
    ":KUMA_MESH_OUTBOUND - [0:0]\n"
    "-A PREROUTING -p tcp -m tcp --dport 2222 -j REDIRECT --to-ports 22\n"
    "-A OUTPUT -p tcp -m comment --comment \"kuma/mesh/transparent/proxy/output/outbound\" -j "
    "KUMA_MESH_OUTBOUND\n"
    "-A KUMA_MESH_OUTBOUND -j RETURN\n"
    "COMMIT\n"
    "*raw\n"
    ":PREROUTING ACCEPT [0:0]\n"
    ":OUTPUT ACCEPT [0:0]\n"
    "-A OUTPUT -m comment --comment \"kuma/mesh/transparent/proxy/dns/x\" -j CT --zone 1\n"
    "COMMIT\n";

rules::IptablesTable natTable() {
  rules::IptablesTable t{rules::Table::kNat, {"KUMA_MESH_OUTBOUND"}, {}};
  t.rules.push_back({"OUTPUT", 1, "-d 10.0.0.0/8 -j RETURN", false});
  t.rules.push_back({"OUTPUT", 0, "-p tcp -j KUMA_MESH_OUTBOUND", false});
  t.rules.push_back({"KUMA_MESH_OUTBOUND", 0, "-j RETURN", false});
  return t;
}

TEST(RestoreInput, FreshInstallIsTheRenderedText) {
  std::vector<std::string> touched;
  std::string in = installInput({natTable()}, std::nullopt, {}, touched);
  EXPECT_EQ(in,
            "*nat\n-N KUMA_MESH_OUTBOUND\n-I OUTPUT 1 -d 10.0.0.0/8 -j RETURN\n"
            "-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n-A KUMA_MESH_OUTBOUND -j RETURN\nCOMMIT\n");
  EXPECT_EQ(touched, std::vector<std::string>{"nat"});
}

TEST(RestoreInput, ReinstallRemovesThePreviousStateFirstInTheSameTable) {
  std::vector<std::string> touched;
  std::string in = installInput({natTable()}, SavedRuleset::parse(kPrevious), {}, touched);
  EXPECT_EQ(in,
            "*raw\n"
            "-D OUTPUT -m comment --comment \"kuma/mesh/transparent/proxy/dns/x\" -j CT --zone 1\n"
            "COMMIT\n"
            "*nat\n"
            "-D OUTPUT -p tcp -m comment --comment \"kuma/mesh/transparent/proxy/output/outbound\" "
            "-j KUMA_MESH_OUTBOUND\n"
            "-F KUMA_MESH_OUTBOUND\n-X KUMA_MESH_OUTBOUND\n-N KUMA_MESH_OUTBOUND\n"
            "-I OUTPUT 1 -d 10.0.0.0/8 -j RETURN\n-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n"
            "-A KUMA_MESH_OUTBOUND -j RETURN\nCOMMIT\n");
  EXPECT_EQ(touched, (std::vector<std::string>{"raw", "nat"}));
}

TEST(RestoreInput, RollbackRestoresSavedTablesAndEmptiesNewOnes) {
  auto before = SavedRuleset::parse(kPrevious);
  EXPECT_EQ(rollbackInput(before, {"nat", "mangle"}),
            before.find("nat")->restoreText() + "*mangle\nCOMMIT\n");
  EXPECT_EQ(rollbackInput(std::nullopt, {"nat"}), "*nat\nCOMMIT\n");
}

TEST(RestoreInput, UninstallTouchesOnlyOurs) {
  auto in = uninstallInput(SavedRuleset::parse(kPrevious), {});
  EXPECT_EQ(in.rules, 3u);
  EXPECT_EQ(in.chains, 1u);
  EXPECT_EQ(in.text.find("2222"), std::string::npos);
  EXPECT_EQ(uninstallInput(SavedRuleset::parse("*nat\n-A OUTPUT -j RETURN\nCOMMIT\n"), {}).text,
            "");
}

TEST(RestoreInput, OursDiffer) {
  auto before = SavedRuleset::parse(kPrevious);
  // A foreign change does not count; ours does.
  std::string foreign = kPrevious;
  foreign.replace(foreign.find("2222"), 4, "3333");
  EXPECT_FALSE(oursDiffer(before, SavedRuleset::parse(foreign), {"nat", "raw"}, {}));
  EXPECT_TRUE(oursDiffer(std::nullopt, before, {"raw"}, {}));
  EXPECT_FALSE(oursDiffer(std::nullopt, SavedRuleset::parse("*raw\nCOMMIT\n"), {"raw"}, {}));
}

TEST(RestoreInput, TableDifferences) {
  rules::IptablesTable want = natTable();
  auto same = SavedRuleset::parse(
      "*nat\n:OUTPUT ACCEPT [0:0]\n:KUMA_MESH_OUTBOUND - [0:0]\n"
      "-A OUTPUT -d 10.0.0.0/8 -j RETURN\n-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n"
      "-A KUMA_MESH_OUTBOUND -j RETURN\nCOMMIT\n");
  std::set<std::string> matching{"-A OUTPUT -d 10.0.0.0/8 -j RETURN"};
  EXPECT_TRUE(tableDifferences("IPv4 nat", &want, same.find("nat"), matching).empty());

  auto swapped = SavedRuleset::parse(
      "*nat\n:OUTPUT ACCEPT [0:0]\n:KUMA_MESH_OUTBOUND - [0:0]\n"
      "-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n-A OUTPUT -d 10.0.0.0/8 -j RETURN\n"
      "-A KUMA_MESH_OUTBOUND -j RETURN\nCOMMIT\n");
  EXPECT_EQ(tableDifferences("IPv4 nat", &want, swapped.find("nat"), matching),
            std::vector<std::string>{
                "~ rules of chain OUTPUT in IPv4 nat are in another order than expected"});

  auto changed = SavedRuleset::parse(
      "*nat\n:OUTPUT ACCEPT [0:0]\n:KUMA_MESH_OUTBOUND - [0:0]\n:KUMA_MESH_OLD - [0:0]\n"
      "-A OUTPUT -p tcp -j KUMA_MESH_OUTBOUND\n"
      "-A KUMA_MESH_OUTBOUND -j RETURN\n-A KUMA_MESH_OUTBOUND -p udp -j RETURN\nCOMMIT\n");
  EXPECT_EQ(tableDifferences("IPv4 nat", &want, changed.find("nat"), matching),
            (std::vector<std::string>{
                "+ unexpected chain in IPv4 nat: KUMA_MESH_OLD",
                "- missing in IPv4 nat: -A OUTPUT -d 10.0.0.0/8 -j RETURN",
                "+ unexpected in IPv4 nat: -A KUMA_MESH_OUTBOUND -p udp -j RETURN"}));

  EXPECT_EQ(tableDifferences("IPv6 nat", &want, nullptr, matching).front(),
            "- missing chain in IPv6 nat: KUMA_MESH_OUTBOUND");
  EXPECT_EQ(tableDifferences("IPv6 nat", nullptr, same.find("nat"), matching).size(), 4u);
}

}  // namespace
}  // namespace kt::backend::iptables
