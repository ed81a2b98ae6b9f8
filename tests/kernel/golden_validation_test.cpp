// Every golden file under tests/golden/expected must be accepted by the kernel: each format has
// a checker that loads it in check mode into a throwaway namespace. iptables: every section
// ("### IPv4 ###", "### IPv6 ###") through iptables-restore --test / ip6tables-restore --test,
// both the legacy and the nf_tables variant, then applied for real in the throwaway namespace;
// nft: `nft -c -f`, then `nft -f`.
// To add a format, add a checker to kFormats.
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/golden.h"
#include "support/scratch_netns.h"

namespace kt::testing {
namespace {

using Checker = std::function<void(ScratchNetns& ns, const std::string& text)>;

// Splits Kuma's dry-run layout into (family tool prefix, restore text) sections.
std::vector<std::pair<std::string, std::string>> iptablesSections(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "### IPv4 ###") {
      out.emplace_back("iptables", "");
    } else if (line == "### IPv6 ###") {
      out.emplace_back("ip6tables", "");
    } else if (!out.empty()) {
      out.back().second += line + "\n";
    }
  }
  return out;
}

void checkIptables(ScratchNetns& ns, const std::string& text) {
  auto sections = iptablesSections(text);
  ASSERT_FALSE(sections.empty()) << "no ### IPv4 ### section";
  for (const auto& [tool, restore] : sections) {
    for (const char* mode : {"legacy", "nft"}) {
      std::string prog = tool + "-" + mode + "-restore";
      auto r = ns.run(prog, {"--test"}, restore);
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_TRUE(r->success()) << prog << " --test rejected the section: " << r->describe();
      // iptables-nft-restore --test does not ask the kernel (it accepts a jump to a missing
      // chain, for one): also apply the section for real in the throwaway namespace.
      auto applied = ns.run(prog, {"--noflush"}, restore);
      ASSERT_TRUE(applied.ok()) << applied.error().message();
      EXPECT_TRUE(applied->success()) << prog << " rejected the section: " << applied->describe();
    }
  }
}

// nftables: `nft -c -f` (the kernel validates in check mode), then applied for real.
void checkNft(ScratchNetns& ns, const std::string& text) {
  auto r = ns.run("nft", {"-c", "-f", "-"}, text);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->success()) << "nft -c rejected the script: " << r->describe();
  auto applied = ns.run("nft", {"-f", "-"}, text);
  ASSERT_TRUE(applied.ok()) << applied.error().message();
  EXPECT_TRUE(applied->success()) << "nft -f rejected the script: " << applied->describe();
}

struct Format {
  const char* extension;
  Checker check;
};

const std::vector<Format>& formats() {
  static const std::vector<Format> kFormats = {
      {"iptables", checkIptables},
      {"nft", checkNft},
  };
  return kFormats;
}

std::vector<std::string> goldenFiles(const std::string& extension) {
  return golden::filesEndingWith(KT_GOLDEN_DIR "/expected", "." + extension);
}

std::vector<std::string> allGoldenFiles() {
  std::vector<std::string> out;
  for (const auto& f : formats())
    for (auto& n : goldenFiles(f.extension))
      out.push_back(std::move(n));
  return out;
}

class GoldenValidation : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenValidation, AcceptedByTheKernel) {
  KT_REQUIRE_ROOT();
  const std::string file = GetParam();
  bool readable = false;
  std::string text = golden::readFile(KT_GOLDEN_DIR "/expected/" + file, &readable);
  ASSERT_TRUE(readable) << file;
  auto ns = ScratchNetns::make("gold");
  ASSERT_TRUE(ns.ok()) << ns.error().message();
  for (const auto& f : formats()) {
    std::string ext = std::string(".") + f.extension;
    if (file.size() > ext.size() && file.compare(file.size() - ext.size(), ext.size(), ext) == 0) {
      f.check(**ns, text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenValidation, ::testing::ValuesIn(allGoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return golden::testName(p.param);
                         });

TEST(GoldenValidation, EveryFormatHasFiles) {
  for (const auto& f : formats())
    EXPECT_FALSE(goldenFiles(f.extension).empty()) << "no golden files for " << f.extension;
}

}  // namespace
}  // namespace kt::testing
