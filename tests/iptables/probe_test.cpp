// The in-process netfilter probes: they answer without creating anything (except the legacy
// ip6 nat table, which ip6tables itself would create).
#include <gtest/gtest.h>

#include "backend/iptables/netfilter_probe.h"
#include "sys/netlink_addr.h"
#include "test_support.h"

namespace kt::testing {
namespace {

using backend::iptables::Mode;

class NetfilterProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    KT_REQUIRE_ROOT();
    KT_ASSERT_NEW_NETNS(ns_, "probe");
  }
  std::unique_ptr<ScratchNetns> ns_;
};

TEST_F(NetfilterProbe, ExistingTablesFollowTheTools) {
  auto guard = sys::NetnsGuard::enter(ns_->path());
  ASSERT_TRUE(guard.ok());
  for (Mode m : {Mode::kLegacy, Mode::kNft}) {
    for (Family f : {Family::kV4, Family::kV6}) {
      auto t = backend::iptables::existingTables(m, f);
      ASSERT_TRUE(t.ok()) << t.error().message();
      EXPECT_TRUE(t->empty());
    }
  }
  auto r = runProgram("iptables-nft", {"-t", "mangle", "-A", "OUTPUT", "-j", "RETURN"});
  ASSERT_TRUE(r.ok() && r->success());
  r = runProgram("ip6tables-legacy", {"-t", "raw", "-A", "OUTPUT", "-j", "RETURN"});
  ASSERT_TRUE(r.ok() && r->success());
  EXPECT_EQ(*backend::iptables::existingTables(Mode::kNft, Family::kV4),
            std::set<std::string>{"mangle"});
  EXPECT_TRUE(backend::iptables::existingTables(Mode::kNft, Family::kV6)->empty());
  EXPECT_TRUE(backend::iptables::existingTables(Mode::kLegacy, Family::kV6)->count("raw"));
  EXPECT_TRUE(backend::iptables::existingTables(Mode::kLegacy, Family::kV4)->empty());
}

TEST_F(NetfilterProbe, Ipv6NatProbesLeaveNoNfTablesState) {
  auto guard = sys::NetnsGuard::enter(ns_->path());
  ASSERT_TRUE(guard.ok());
  auto nft = backend::iptables::probeIpv6Nat(Mode::kNft);
  EXPECT_TRUE(nft.ok()) << nft.error().message();
  // The probe's batch was never committed.
  EXPECT_TRUE(backend::iptables::existingTables(Mode::kNft, Family::kV6)->empty());
  auto listed = runProgram("nft", {"list", "tables"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->out, "");
  auto legacy = backend::iptables::probeIpv6Nat(Mode::kLegacy);
  EXPECT_TRUE(legacy.ok()) << legacy.error().message();
}

TEST_F(NetfilterProbe, InterfacesAndThePassthroughAddress) {
  auto guard = sys::NetnsGuard::enter(ns_->path());
  ASSERT_TRUE(guard.ok());
  auto before = sys::summarizeInterfaces(Family::kV6);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->loopback, "lo");
  EXPECT_FALSE(before->nonLoopbackAddress);
  ASSERT_TRUE(ns_->addIpv6Interface().ok());
  EXPECT_TRUE(sys::summarizeInterfaces(Family::kV6)->nonLoopbackAddress);

  auto added = sys::addPassthroughV6("lo");
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_TRUE(*added);
  EXPECT_FALSE(*sys::addPassthroughV6("lo"));  // already there: fine
  auto shown = runProgram("ip", {"-6", "addr", "show", "dev", "lo"});
  EXPECT_NE(shown->out.find("inet6 ::6/128"), std::string::npos) << shown->out;
  ASSERT_TRUE(sys::removePassthroughV6("lo").ok());
  shown = runProgram("ip", {"-6", "addr", "show", "dev", "lo"});
  EXPECT_EQ(shown->out.find("::6/128"), std::string::npos) << shown->out;
}

}  // namespace
}  // namespace kt::testing
