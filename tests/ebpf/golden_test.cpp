// eBPF dry-run golden files (label kernel): every scenario of tests/golden/scenarios is run
// through `kuma-tproxy install --dry-run --backend ebpf` inside a fresh namespace shaped like a
// pod (lo; eth0 with 10.0.0.2/24 and fd00::2/64, no link-local address), and stdout must equal
// tests/golden/expected/<scenario>.ebpf. The eBPF plan includes facts of the namespace, so it
// needs the fixed namespace (hence root); the values that still differ from run to run (the
// namespace cookie, the cgroup2 mount point, the embedded objects' sizes) are replaced by
// placeholders before comparing.
//
// Regenerate (as root): scripts/update-golden.sh, or
//   KT_UPDATE_GOLDEN=1 build/tests/ebpf/kt_ebpf_kernel_tests --gtest_filter='*EbpfGolden*'
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "backend/ebpf/host.h"
#include "support/env.h"
#include "support/golden.h"
#include "sys/exec.h"

namespace kt::ebpftest {
namespace {

std::vector<std::string> scenarioNames() {
  return golden::scenarioNames(KT_GOLDEN_DIR);
}
// Replaces what legitimately differs between runs and machines.
std::string normalize(std::string text, uint64_t cookie, const std::string& cgroup) {
  std::string c = std::to_string(cookie);
  text = std::regex_replace(text, std::regex("pods/" + c + "/"), "pods/<cookie>/");
  text = std::regex_replace(text, std::regex("kt_pods\\[" + c + "\\]"), "kt_pods[<cookie>]");
  text =
      std::regex_replace(text, std::regex("netns cookie " + c + "\n"), "netns cookie <cookie>\n");
  text = std::regex_replace(text, std::regex("embedded \\([0-9]+ bytes\\)"), "embedded");
  size_t pos;
  while ((pos = text.find(cgroup)) != std::string::npos)
    text.replace(pos, cgroup.size(), "<cgroup2>");
  return text;
}

// A pod-shaped namespace with fixed addresses and no link-local address.
class FixedPod {
 public:
  static Result<std::unique_ptr<FixedPod>> make() {
    auto p = std::unique_ptr<FixedPod>(new FixedPod());
    KT_ASSIGN_OR_RETURN(p->pod_, Netns::make("ebpf-gpod"));
    KT_ASSIGN_OR_RETURN(p->peer_, Netns::make("ebpf-gpeer"));
    const std::string pod = p->pod_->name();
    KT_TRY(ip({"-n", pod, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns",
               p->peer_->name()}));
    KT_TRY(ip({"-n", pod, "link", "set", "eth0", "addrgenmode", "none"}));
    KT_TRY(ip({"-n", pod, "addr", "add", "10.0.0.2/24", "dev", "eth0"}));
    KT_TRY(ip({"-n", pod, "-6", "addr", "add", "fd00::2/64", "dev", "eth0", "nodad"}));
    KT_TRY(ip({"-n", pod, "link", "set", "lo", "up"}));
    KT_TRY(ip({"-n", pod, "link", "set", "eth0", "up"}));
    return p;
  }
  std::string path() const { return pod_->path(); }

 private:
  FixedPod() = default;
  std::unique_ptr<Netns> pod_, peer_;
};

class EbpfGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(EbpfGolden, DryRunMatchesExpected) {
  if (!isRoot()) GTEST_SKIP() << "needs root: runs the dry-run in a throwaway network namespace";
  const std::string& name = GetParam();
  std::string parseError;
  golden::Scenario s = golden::loadScenario(KT_GOLDEN_DIR, name, &parseError);
  ASSERT_TRUE(parseError.empty()) << parseError;
  auto mounts = backend::ebpf::cgroup2Mounts();
  ASSERT_FALSE(mounts.empty()) << "no cgroup v2 mounted";
  auto pod = FixedPod::make();
  ASSERT_TRUE(pod.ok()) << pod.error().message();

  golden::DryRun dryRun(s, KT_TPROXY_BINARY, "ebpf",
                        {"--ebpf-instance-ip=10.0.0.2", "--ebpf-cgroup-path=" + mounts.front(),
                         "--netns=" + (*pod)->path()});
  // The cookie of the namespace the dry-run ran in.
  uint64_t cookie = 0;
  {
    auto out = runIn(Place{(*pod)->path(), "", 0}, [] {
      auto c = backend::ebpf::currentNetnsCookie();
      return c ? std::to_string(*c) : std::string("0");
    });
    ASSERT_TRUE(out.ok());
    cookie = std::stoull(*out);
  }
  auto res = sys::run(dryRun.request());
  ASSERT_TRUE(res.ok()) << res.error().message();
  ASSERT_TRUE(res->success()) << sys::commandLine(dryRun.request().path, dryRun.request().args)
                              << ": " << res->describe();
  golden::expectMatchesExpected(KT_GOLDEN_DIR, name + ".ebpf",
                                normalize(res->out, cookie, mounts.front()));
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EbpfGolden, ::testing::ValuesIn(scenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return golden::testName(p.param);
                         });

}  // namespace
}  // namespace kt::ebpftest
