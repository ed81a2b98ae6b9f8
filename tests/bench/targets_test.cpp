// The target checks bench.sh prints under its tables.
#include <gtest/gtest.h>

#include "targets.h"

namespace kt::bench {
namespace {

TEST(Targets, ParsesRatiosAndMedians) {
  auto r = parseTarget("base tproxy_nft / floor <= 2");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->group, "base");
  EXPECT_EQ(r->method, "tproxy_nft");
  EXPECT_EQ(r->baseline, "floor");
  EXPECT_EQ(r->op, Target::Op::kAtMost);
  EXPECT_DOUBLE_EQ(r->limit, 2);
  auto m = parseTarget("n5000 tproxy_nft < 10");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_TRUE(m->baseline.empty());
  EXPECT_EQ(m->op, Target::Op::kBelow);
  for (const char* bad : {"", "base tproxy_nft <= x", "base a / b == 2", "base a b <= 2",
                          "base a / b <= 2 extra", "base a <= 2ms"}) {
    EXPECT_FALSE(parseTarget(bad).ok()) << bad;
  }
}

TEST(Targets, EvaluatesPairedRatiosAndMedians) {
  std::map<std::string, std::vector<Sample>> groups;
  // Per-round ratios nft/floor: 1.5, 2.5, 1.8 -> median 1.8.
  groups["base"] = {{"floor", 0, 1}, {"nft", 0, 1.5}, {"floor", 1, 2},
                    {"nft", 1, 5},   {"floor", 2, 1}, {"nft", 2, 1.8}};
  groups["n5000"] = {{"nft", 0, 9}, {"nft", 1, 12}, {"nft", 2, 11}};
  auto ratio = evaluate(*parseTarget("base nft / floor <= 2"), groups);
  EXPECT_TRUE(ratio.measured);
  EXPECT_DOUBLE_EQ(ratio.value, 1.8);
  EXPECT_TRUE(ratio.holds);
  auto inverse = evaluate(*parseTarget("base floor / nft >= 3"), groups);
  EXPECT_TRUE(inverse.measured);
  EXPECT_FALSE(inverse.holds);
  auto median = evaluate(*parseTarget("n5000 nft < 10"), groups);
  EXPECT_DOUBLE_EQ(median.value, 11);
  EXPECT_FALSE(median.holds);
  auto missing = evaluate(*parseTarget("n1000 nft < 10"), groups);
  EXPECT_FALSE(missing.measured);
  EXPECT_FALSE(missing.holds);

  std::string text = formatTargets({ratio, median, missing}, {{"nft", "nftables install"}});
  EXPECT_NE(text.find("nftables install / floor [base]"), std::string::npos) << text;
  EXPECT_NE(text.find("1.80x"), std::string::npos) << text;
  EXPECT_NE(text.find("holds"), std::string::npos) << text;
  EXPECT_NE(text.find("11.00 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("DOES NOT HOLD"), std::string::npos) << text;
  EXPECT_NE(text.find("not measured"), std::string::npos) << text;
}

TEST(Targets, DefaultTableParsesAndNamesEveryMethod) {
  ASSERT_FALSE(defaultTargets().empty());
  for (const auto& spec : defaultTargets()) {
    auto t = parseTarget(spec);
    ASSERT_TRUE(t.ok()) << spec << ": " << t.error().message();
    EXPECT_TRUE(defaultLabels().count(t->method)) << spec;
    if (!t->baseline.empty()) {
      EXPECT_TRUE(defaultLabels().count(t->baseline)) << spec;
    }
  }
}

}  // namespace
}  // namespace kt::bench
