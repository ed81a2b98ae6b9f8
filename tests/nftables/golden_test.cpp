// The dry-run nft scripts of every scenario, compared with the checked-in golden files.
//
// Regenerate after an intended change with:
//   KT_UPDATE_GOLDEN=1 build/tests/nftables/kt_nftables_golden_tests
// then review `git diff tests/nftables/golden`. The kernel tests load every golden file with
// `nft -c -f`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "iptables/builder.h"
#include "iptables/render_nft.h"
#include "scenarios.h"

namespace kt::testing {
namespace {

std::string goldenPath(const std::string& name) {
  return std::string(KT_NFT_GOLDEN_DIR) + "/" + name + ".nft";
}

class NftGolden : public ::testing::TestWithParam<Scenario> {};

TEST_P(NftGolden, MatchesCheckedInFile) {
  const auto& s = GetParam();
  std::string text =
      rules::renderNft(rules::build(s.cfg, s.facts), rules::NftOptions{s.cfg.comments, true});
  const std::string path = goldenPath(s.name);
  const char* update = std::getenv("KT_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path) << text;
    std::printf("rewrote %s\n", path.c_str());
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing golden file " << path << " (KT_UPDATE_GOLDEN=1 writes it)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << "rendered script of scenario " << s.name << " differs from "
                              << path;
}

std::string paramName(const ::testing::TestParamInfo<Scenario>& p) {
  std::string n = p.param.name;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, NftGolden, ::testing::ValuesIn(nftScenarios()), paramName);

}  // namespace
}  // namespace kt::testing
