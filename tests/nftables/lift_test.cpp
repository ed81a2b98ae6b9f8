// nft_lift: every rule buildObjects() makes from the golden scenarios lifts back to statements
// that print as the plan's own nft text. Hermetic (no kernel): the objects are built in memory.
#include <gtest/gtest.h>

#include <cstdio>  // libnftnl/expr.h uses FILE without including it

#include <libnftnl/expr.h>

#include "backend/nftables/nft_lift.h"
#include "backend/nftables/nft_objects.h"
#include "iptables/builder.h"
#include "iptables/render_nft.h"
#include "scenarios.h"

namespace kt::testing {
namespace {

using backend::nftables::buildObjects;
using backend::nftables::liftRule;

TEST(NftLift, EveryGoldenRuleLiftsToItsOwnText) {
  size_t rules = 0;
  for (const auto& s : nftScenarios()) {
    auto plan =
        rules::lowerToNft(rules::build(s.cfg, s.facts), rules::NftLowerOptions{s.cfg.comments});
    auto objs = buildObjects(plan);
    ASSERT_TRUE(objs.ok()) << s.name << ": " << objs.error().message();
    for (const auto& r : objs->rules) {
      auto lifted = liftRule(r.rule.get());
      ASSERT_TRUE(lifted.has_value()) << s.name << ": " << r.text();
      EXPECT_EQ(rules::renderNftRule(*lifted), r.text()) << s.name << " chain " << r.chain;
      ++rules;
    }
  }
  EXPECT_GT(rules, 100u);  // the scenarios cover every statement kind many times over
}

TEST(NftLift, UnknownExpressionsAreNotGuessed) {
  backend::nftables::RulePtr r(nftnl_rule_alloc());
  nftnl_expr* e = nftnl_expr_alloc("counter");
  ASSERT_NE(e, nullptr);
  nftnl_rule_add_expr(r.get(), e);
  EXPECT_FALSE(liftRule(r.get()).has_value());
}

}  // namespace
}  // namespace kt::testing
