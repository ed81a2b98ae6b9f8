// The benchmark's statistics: nearest-rank percentiles and paired ratios.
#include <gtest/gtest.h>

#include "stats.h"

namespace kt::bench {
namespace {

TEST(Stats, MedianP90MinMax) {
  Summary s = summarize({5, 1, 4, 2, 3, 10, 9, 8, 7, 6});
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.p90, 9);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_EQ(s.count, 10u);
  EXPECT_DOUBLE_EQ(summarize({3, 1, 2}).median, 2);
}

TEST(Stats, PairedRatioIsTheMedianOfPerRoundRatios) {
  // Round 2 is slow for everyone: per-round pairing cancels it out.
  std::vector<Sample> s = {{"a", 0, 2},  {"b", 0, 1},  {"a", 1, 4}, {"b", 1, 2},
                           {"a", 2, 40}, {"b", 2, 20}, {"a", 3, 3}, {"b", 3, 1}};
  EXPECT_DOUBLE_EQ(pairedRatio(s, "a", "b"), 2);
  EXPECT_DOUBLE_EQ(pairedRatio(s, "b", "b"), 1);
  EXPECT_DOUBLE_EQ(pairedRatio(s, "a", "missing"), 0);
}

TEST(Stats, TableListsMethodsInOrderWithRatios) {
  std::vector<Sample> s = {{"slow", 0, 4}, {"fast", 0, 1}, {"slow", 1, 6}, {"fast", 1, 2}};
  std::string t = formatTable(s, {"demo", "ms", {"fast"}, true}, {{"fast", "the fast one"}});
  EXPECT_NE(t.find("== demo =="), std::string::npos) << t;
  EXPECT_LT(t.find("\nslow"), t.find("\nthe fast one")) << t;
  EXPECT_NE(t.find("x fast"), std::string::npos) << t;
  EXPECT_NE(t.find("3.50"), std::string::npos) << t;  // median of 4/1 and 6/2
}

}  // namespace
}  // namespace kt::bench
