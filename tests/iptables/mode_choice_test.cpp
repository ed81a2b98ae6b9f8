// Kuma's legacy / nf_tables choice and the --version parser.
#include <gtest/gtest.h>

#include "backend/iptables/mode_choice.h"
#include "backend/iptables/tools.h"

namespace kt::backend::iptables {
namespace {

ModeObservation tools(bool rules = false, bool docker = false) {
  return ModeObservation{true, rules, docker};
}

TEST(ModeChoice, FollowsKuma) {
  EXPECT_EQ(chooseMode(tools(), tools())->mode, Mode::kNft);
  EXPECT_EQ(chooseMode(tools(true), tools())->mode, Mode::kLegacy);
  EXPECT_EQ(chooseMode(tools(), tools(true))->mode, Mode::kNft);
  auto both = chooseMode(tools(true), tools(true));
  EXPECT_EQ(both->mode, Mode::kNft);
  EXPECT_TRUE(both->conflict);
  auto docker = chooseMode(tools(true, true), tools(true));
  EXPECT_EQ(docker->mode, Mode::kLegacy);
  EXPECT_TRUE(docker->conflict);
  EXPECT_EQ(chooseMode(tools(true, true), tools(true, true))->mode, Mode::kNft);
  EXPECT_FALSE(chooseMode(tools(), tools())->conflict);
}

TEST(ModeChoice, MissingTools) {
  EXPECT_EQ(chooseMode(ModeObservation{}, tools(true))->mode, Mode::kNft);
  EXPECT_EQ(chooseMode(tools(), ModeObservation{})->mode, Mode::kLegacy);
  auto none = chooseMode(ModeObservation{}, ModeObservation{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
}

TEST(ModeChoice, ParsesVersions) {
  EXPECT_EQ(parseVersionMode("iptables v1.8.9 (nf_tables)\n"), Mode::kNft);
  EXPECT_EQ(parseVersionMode("ip6tables-restore v1.8.7 (legacy)\n"), Mode::kLegacy);
  EXPECT_EQ(parseVersionMode("iptables v1.6.1\n"), Mode::kLegacy);
  EXPECT_EQ(parseVersionMode("iptables-restore: unrecognized option '--version'\n"), Mode::kLegacy);
  EXPECT_EQ(parseVersionMode("bash: command not found"), std::nullopt);
  EXPECT_EQ(parseVersionMode("iptables v1.8.9 (something)"), std::nullopt);
}

}  // namespace
}  // namespace kt::backend::iptables
