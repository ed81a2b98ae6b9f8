// Golden files: every scenario under tests/golden/scenarios is run through the built
// `kuma-tproxy install --dry-run --backend <backend>` for every checked format, and stdout must
// equal tests/golden/expected/<scenario>.<format>. A missing expected file is a failure.
//
// Regenerate all expected files with scripts/update-golden.sh (it runs this test with
// KT_UPDATE_GOLDEN=1, which writes instead of comparing).
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/golden.h"
#include "sys/exec.h"

extern char** environ;

namespace kt::golden {
namespace {

// The formats this runner checks: file extension and the --backend that prints it. (The eBPF
// plans need the instance IPs and a cgroup path: tests/ebpf/golden_test.cpp checks them.)
struct Format {
  const char* extension;
  const char* backend;
};
constexpr Format kFormats[] = {
    {"iptables", "iptables"},
    {"nft", "nftables"},
};

std::vector<std::string> scenarioNames() {
  return golden::scenarioNames(KT_GOLDEN_DIR);
}
using Param = std::tuple<std::string, Format>;

class Golden : public ::testing::TestWithParam<Param> {};

TEST_P(Golden, DryRunMatchesExpected) {
  const auto& [name, format] = GetParam();
  std::string parseError;
  Scenario s = loadScenario(KT_GOLDEN_DIR, name, &parseError);
  ASSERT_TRUE(parseError.empty()) << parseError;

  // The environment must not leak in (KUMA_TRANSPARENT_PROXY_* is a configuration source).
  std::vector<std::string> leaked;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    if (kv.rfind("KUMA_TRANSPARENT_PROXY_", 0) == 0) leaked.push_back(kv.substr(0, kv.find('=')));
  }
  for (const auto& v : leaked)
    ::unsetenv(v.c_str());

  DryRun dryRun(s, KT_TPROXY_BINARY, format.backend);
  auto res = sys::run(dryRun.request());
  ASSERT_TRUE(res.ok()) << res.error().message();
  ASSERT_TRUE(res->success()) << sys::commandLine(dryRun.request().path, dryRun.request().args)
                              << ": " << res->describe();
  expectMatchesExpected(KT_GOLDEN_DIR, name + "." + format.extension, res->out);
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  return testName(std::get<0>(info.param) + "_" + std::get<1>(info.param).extension);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Golden,
                         ::testing::Combine(::testing::ValuesIn(scenarioNames()),
                                            ::testing::ValuesIn(kFormats)),
                         paramName);

TEST(GoldenScenarios, ParseSections) {
  std::string err;
  Scenario s = parseScenario("x",
                             "# comment\n--redirect-dns\n\n[annotations]\nkuma.io/gateway=enabled\n"
                             "[resolv.conf]\nnameserver 10.0.0.1\n",
                             &err);
  EXPECT_TRUE(err.empty());
  EXPECT_EQ(s.flags, std::vector<std::string>{"--redirect-dns"});
  EXPECT_EQ(s.annotations, std::vector<std::string>{"kuma.io/gateway=enabled"});
  EXPECT_EQ(s.resolvConf, std::optional<std::string>("nameserver 10.0.0.1\n"));
  parseScenario("y", "[bogus]\n", &err);
  EXPECT_EQ(err, "unknown section [bogus]");
}

TEST(GoldenScenarios, EveryScenarioIsChecked) {
  // The required scenarios exist (a typo in a file name would silently drop one).
  auto names = scenarioNames();
  for (const char* required :
       {"default", "exclusions", "dns-capture-all", "dns-resolv-conf", "ipv6-disabled-by-port",
        "ipv4-family-mode", "gateway", "uid-exclusions", "logs-drop-invalid", "custom-ports",
        "comments-disabled", "verbose"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
}

}  // namespace
}  // namespace kt::golden
