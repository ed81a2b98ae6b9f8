// eBPF dry-run golden files (label unit): every scenario of tests/golden/scenarios is run
// through `kuma-tproxy install --dry-run --backend ebpf`, and stdout must equal
// tests/golden/expected/<scenario>.ebpf. A dry-run probes nothing, so the plan comes from the
// configuration alone: the pod's addresses are loopback, ::6 and the instance IPs given here
// (10.0.0.2 and fd00::2), the namespace cookie prints as <cookie>. What still differs between
// builds and machines is replaced by placeholders before comparing: the cgroup path given here
// becomes <cgroup2>, the embedded objects' sizes go.
//
// Regenerate: scripts/update-golden.sh, or
//   KT_UPDATE_GOLDEN=1 build/tests/ebpf/kt_ebpf_golden_tests
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/golden.h"
#include "sys/exec.h"

namespace kt::ebpftest {
namespace {

// Given as --ebpf-cgroup-path; never opened by a dry-run.
constexpr const char* kCgroupPath = "/sys/fs/cgroup/kuma-tproxy-golden";

std::vector<std::string> scenarioNames() {
  return golden::scenarioNames(KT_GOLDEN_DIR);
}

// Replaces what legitimately differs between builds and machines.
std::string normalize(std::string text) {
  text = std::regex_replace(text, std::regex("embedded \\([0-9]+ bytes\\)"), "embedded");
  const std::string cgroup = kCgroupPath;
  size_t pos;
  while ((pos = text.find(cgroup)) != std::string::npos)
    text.replace(pos, cgroup.size(), "<cgroup2>");
  return text;
}

class EbpfGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(EbpfGolden, DryRunMatchesExpected) {
  const std::string& name = GetParam();
  std::string parseError;
  golden::Scenario s = golden::loadScenario(KT_GOLDEN_DIR, name, &parseError);
  ASSERT_TRUE(parseError.empty()) << parseError;

  golden::DryRun dryRun(
      s, KT_TPROXY_BINARY, "ebpf",
      {"--ebpf-instance-ip=10.0.0.2,fd00::2", std::string("--ebpf-cgroup-path=") + kCgroupPath});
  auto res = sys::run(dryRun.request());
  ASSERT_TRUE(res.ok()) << res.error().message();
  ASSERT_TRUE(res->success()) << sys::commandLine(dryRun.request().path, dryRun.request().args)
                              << ": " << res->describe();
  golden::expectMatchesExpected(KT_GOLDEN_DIR, name + ".ebpf", normalize(res->out));
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EbpfGolden, ::testing::ValuesIn(scenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return golden::testName(p.param);
                         });

}  // namespace
}  // namespace kt::ebpftest
