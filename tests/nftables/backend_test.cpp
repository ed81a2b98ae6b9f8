// The nftables backend through the Backend interface (root, throwaway namespaces): IPv6 facts,
// ::6 on loopback, install / verify / uninstall; and the rtnetlink address helpers it uses.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backend/nftables/nftables_backend.h"
#include "backend/pod_network.h"
#include "scenarios.h"
#include "support/largest_lists.h"
#include "support/scratch_netns.h"
#include "sys/netlink_addr.h"

namespace kt::testing {
namespace {

// The facts of a run in the current namespace with the pod-network probe's refinement, as the
// run pipeline gives them to the backend. A failing probe fails the test.
config::Facts factsFor(const config::Config& cfg, const config::RunOptions& run = {}) {
  config::Facts f;
  f.ipv6 = cfg.ipv6Requested();
  auto probed = backend::podNetworkFacts(cfg, run, f);
  EXPECT_TRUE(probed.ok()) << probed.error().message();
  return probed ? *probed : f;
}

std::string golden(const std::string& name) {
  std::ifstream in(std::string(KT_NFT_GOLDEN_DIR) + "/" + name + ".nft");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(NftBackend, InstallVerifyUninstallWithIpv6) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  KT_ASSERT_OK(ns->addIpv6Interface());
  config::Config cfg;
  auto guard = ns->enter();
  KT_ASSERT_OK(guard);
  auto b = backend::nftables::make(cfg, factsFor(cfg));
  KT_ASSERT_OK(b);
  auto& be = **b;
  EXPECT_EQ(be.name(), "nftables");
  auto text = be.render();
  KT_ASSERT_OK(text);
  EXPECT_EQ(*text, golden("default")) << "install renders the dry-run script of the config";

  KT_ASSERT_OK(be.install());
  auto lo = ns->check("ip", {"-6", "addr", "show", "dev", "lo"});
  KT_ASSERT_OK(lo);
  EXPECT_NE(lo->find("inet6 ::6/128"), std::string::npos) << *lo;
  auto listed = ns->check("nft", {"list", "table", "inet", "kuma_mesh"});
  KT_ASSERT_OK(listed);
  EXPECT_NE(listed->find("meta nfproto ipv6 meta l4proto tcp redirect to :15010"),
            std::string::npos);
  auto report = be.verify();
  KT_ASSERT_OK(report);
  EXPECT_TRUE(report->ok());

  KT_ASSERT_OK(be.install());  // a re-run replaces; ::6 already present is fine
  report = be.verify();
  KT_ASSERT_OK(report);
  EXPECT_TRUE(report->ok());

  auto forUninstall = backend::nftables::forUninstall(cfg);
  ASSERT_NE(forUninstall, nullptr);
  KT_ASSERT_OK(forUninstall->uninstall());
  auto tables = ns->check("nft", {"list", "tables"});
  KT_ASSERT_OK(tables);
  EXPECT_EQ(*tables, "");
  KT_ASSERT_OK(forUninstall->uninstall());  // nothing left: still a success
  report = be.verify();
  KT_ASSERT_OK(report);
  EXPECT_FALSE(report->ok());
}

TEST(NftBackend, NamespaceWithoutIpv6GetsIpv4RulesOnly) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  config::Config cfg;
  auto guard = ns->enter();
  KT_ASSERT_OK(guard);
  auto b = backend::nftables::make(cfg, factsFor(cfg));
  KT_ASSERT_OK(b);
  KT_ASSERT_OK((*b)->install());
  auto listed = ns->check("nft", {"list", "table", "inet", "kuma_mesh"});
  KT_ASSERT_OK(listed);
  EXPECT_EQ(listed->find("ip6"), std::string::npos) << *listed;
  EXPECT_EQ(listed->find("ipv6"), std::string::npos) << *listed;
  EXPECT_NE(listed->find("meta nfproto ipv4 meta l4proto tcp jump KUMA_MESH_OUTBOUND"),
            std::string::npos)
      << *listed;
  auto lo = ns->check("ip", {"-6", "addr", "show", "dev", "lo"});
  KT_ASSERT_OK(lo);
  EXPECT_EQ(lo->find("::6/128"), std::string::npos) << "no ::6 without IPv6 rules";
  auto report = (*b)->verify();
  KT_ASSERT_OK(report);
  EXPECT_TRUE(report->ok());
}

TEST(NftBackend, ExplicitDualstackWithoutIpv6IsAnError) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  config::Config cfg;
  cfg.ipFamilyModeExplicit = true;
  auto guard = ns->enter();
  KT_ASSERT_OK(guard);
  config::Facts f;
  auto b = backend::podNetworkFacts(cfg, {}, f);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(b.error().message().find("no non-loopback IPv6 address"), std::string::npos);
}

TEST(NftBackend, DryRunDoesNotProbeTheMachine) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");  // no IPv6 here, and nothing may be changed
  ASSERT_TRUE(ns);
  config::Config cfg;
  config::RunOptions run;
  run.dryRun = true;
  cfg.ipFamilyModeExplicit = true;
  auto guard = ns->enter();
  KT_ASSERT_OK(guard);
  auto b = backend::nftables::make(cfg, factsFor(cfg, run));
  KT_ASSERT_OK(b);
  auto text = (*b)->render();
  KT_ASSERT_OK(text);
  EXPECT_EQ(*text, golden("default"));
  auto tables = ns->check("nft", {"list", "tables"});
  KT_ASSERT_OK(tables);
  EXPECT_EQ(*tables, "");
}

// The largest exclusion lists the config stage accepts, as distinct as they can be (every
// other port: 32767 and 32768 intervals; 10000 addresses per list, half of them IPv6): one
// batch installs them (interval sets, so the rules do not grow), verify agrees, and uninstall
// removes the table.
TEST(NftBackend, LargestExclusionListsInstallVerifyAndUninstall) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  KT_ASSERT_OK(ns->addIpv6Interface());
  config::Config cfg;
  addLargestExclusionLists(cfg);
  auto guard = ns->enter();
  KT_ASSERT_OK(guard);
  auto b = backend::nftables::make(cfg, factsFor(cfg));
  KT_ASSERT_OK(b);
  KT_ASSERT_OK((*b)->install());
  auto listed = ns->check("nft", {"list", "table", "inet", "kuma_mesh"});
  KT_ASSERT_OK(listed);
  EXPECT_NE(listed->find("65534"), std::string::npos);
  EXPECT_NE(listed->find("10.1.19.135"), std::string::npos);  // the last IPv4 address
  EXPECT_NE(listed->find("fd00::2:4999"), std::string::npos);
  auto report = (*b)->verify();
  KT_ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->differences);
  auto forUninstall = backend::nftables::forUninstall(cfg);
  ASSERT_NE(forUninstall, nullptr);
  KT_ASSERT_OK(forUninstall->uninstall());
  auto tables = ns->check("nft", {"list", "tables"});
  KT_ASSERT_OK(tables);
  EXPECT_EQ(*tables, "");
}

TEST(NetlinkAddr, ListsProbesAndAddsAddresses) {
  KT_REQUIRE_ROOT();
  auto ns = newNetns("nft");
  ASSERT_TRUE(ns);
  {
    auto guard = ns->enter();
    KT_ASSERT_OK(guard);
    auto lo = sys::loopbackInterface();
    KT_ASSERT_OK(lo);
    EXPECT_EQ(*lo, "lo");
    auto has = sys::hasNonLoopbackAddress(Family::kV6);
    KT_ASSERT_OK(has);
    EXPECT_FALSE(*has) << "only lo (::1) so far";
  }
  KT_ASSERT_OK(ns->addIpv6Interface());
  auto guard = ns->enter();
  KT_ASSERT_OK(guard);
  auto has = sys::hasNonLoopbackAddress(Family::kV6);
  KT_ASSERT_OK(has);
  EXPECT_TRUE(*has);
  auto v6 = sys::listAddresses(Family::kV6);
  KT_ASSERT_OK(v6);
  bool sawDummy = false, sawLoopback = false;
  for (const auto& a : *v6) {
    if (a.ifname == "kt0" && a.cidr.addr.str() == "fd00:200::1" && a.cidr.prefix == 64) {
      sawDummy = !a.loopback;
    }
    if (a.ifname == "lo" && a.cidr.addr.str() == "::1") sawLoopback = a.loopback;
  }
  EXPECT_TRUE(sawDummy);
  EXPECT_TRUE(sawLoopback);
  auto v4 = sys::listAddresses(Family::kV4);
  KT_ASSERT_OK(v4);
  bool sawV4 = false;
  for (const auto& a : *v4)
    sawV4 |= a.ifname == "kt0" && a.cidr.str() == "10.200.0.1/24";
  EXPECT_TRUE(sawV4);

  auto six = Cidr::parse("::6/128");
  KT_ASSERT_OK(six);
  KT_ASSERT_OK(sys::addAddress("lo", *six));
  KT_ASSERT_OK(sys::addAddress("lo", *six));  // already there: success
  auto lo = ns->check("ip", {"-6", "addr", "show", "dev", "lo"});
  KT_ASSERT_OK(lo);
  EXPECT_NE(lo->find("inet6 ::6/128"), std::string::npos) << *lo;
  EXPECT_FALSE(sys::addAddress("kt-missing", *six).ok());
}

}  // namespace
}  // namespace kt::testing
