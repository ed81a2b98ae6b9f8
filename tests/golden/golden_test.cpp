// Golden files: every scenario under tests/golden/scenarios is run through the built
// `kuma-tproxy install --dry-run --backend <backend>` for every checked format, and stdout must
// equal tests/golden/expected/<scenario>.<format>. A missing expected file is a failure.
//
// Regenerate all expected files with scripts/update-golden.sh (it runs this test with
// KT_UPDATE_GOLDEN=1, which writes instead of comparing).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scenario.h"
#include "sys/exec.h"

extern char** environ;

namespace kt::golden {
namespace {

// The formats this runner checks: file extension and the --backend that prints it. The .nft
// files come with the nftables renderer: its engineer adds {"nft", "nftables"} here and runs
// scripts/update-golden.sh.
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
using golden::readFile;

// A temporary file removed with the object.
class TempFile {
 public:
  TempFile(const std::string& tag, const std::string& content)
      : path_("/tmp/kt-golden-" + std::to_string(::getpid()) + "-" + tag) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(what) != std::string::npos; });
}

// The first differing line, for a readable failure.
std::string firstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "(only the final newline differs)";
    if (ha != hb || la != lb) {
      return "line " + std::to_string(line) + ":\n  expected: " + (ha ? la : "<end>") +
             "\n  actual:   " + (hb ? lb : "<end>");
    }
  }
}

using Param = std::tuple<std::string, Format>;

class Golden : public ::testing::TestWithParam<Param> {};

TEST_P(Golden, DryRunMatchesExpected) {
  const auto& [name, format] = GetParam();
  std::string parseError;
  Scenario s = parseScenario(
      name, readFile(std::string(KT_GOLDEN_DIR) + "/scenarios/" + name + ".scenario"), &parseError);
  ASSERT_TRUE(parseError.empty()) << parseError;

  // The environment must not leak in (KUMA_TRANSPARENT_PROXY_* is a configuration source).
  std::vector<std::string> leaked;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    if (kv.rfind("KUMA_TRANSPARENT_PROXY_", 0) == 0) leaked.push_back(kv.substr(0, kv.find('=')));
  }
  for (const auto& v : leaked)
    ::unsetenv(v.c_str());

  sys::ExecRequest req;
  req.path = KT_TPROXY_BINARY;
  req.args = {"install", "--dry-run", "--backend", format.backend};
  // The default sidecar uid depends on the host's users; pin it unless the scenario sets it.
  if (!mentions(s.flags, "--kuma-dp-u") && !mentions(s.annotations, "kuma.io/sidecar-uid")) {
    req.args.push_back("--kuma-dp-user=5678");
  }
  req.args.insert(req.args.end(), s.flags.begin(), s.flags.end());
  for (const auto& a : s.annotations) {
    req.args.push_back("--annotation");
    req.args.push_back(a);
  }
  std::unique_ptr<TempFile> resolv, config;
  if (s.resolvConf) {
    resolv = std::make_unique<TempFile>(name + ".resolv.conf", *s.resolvConf);
    config = std::make_unique<TempFile>(
        name + ".yaml", "redirect:\n  dns:\n    resolvConfigPath: " + resolv->path() + "\n");
    req.args.push_back("--config-file");
    req.args.push_back(config->path());
  }
  auto res = sys::run(req);
  ASSERT_TRUE(res.ok()) << res.error().message();
  ASSERT_TRUE(res->success()) << sys::commandLine(req.path, req.args) << ": " << res->describe();

  std::string expectedPath =
      std::string(KT_GOLDEN_DIR) + "/expected/" + name + "." + format.extension;
  if (const char* update = std::getenv("KT_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(expectedPath) << res->out;
    return;
  }
  bool exists = false;
  std::string expected = readFile(expectedPath, &exists);
  ASSERT_TRUE(exists) << expectedPath << " is missing; run scripts/update-golden.sh";
  EXPECT_TRUE(expected == res->out)
      << name << "." << format.extension << " differs from the dry-run output at "
      << firstDifference(expected, res->out)
      << "\nIf the change is intended, run scripts/update-golden.sh and review the diff.";
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param).extension;
  std::replace_if(
      n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return n;
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
  // The required scenarios of issue 2 exist (a typo in a file name would silently drop one).
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
