// scripts/demo.sh: its own --help, and no traffic shown under the install heading when the
// install did not install anything.
#include <gtest/gtest.h>

#include <string>

#include "expect.h"
#include "sys/exec.h"

namespace kt::e2e {
namespace {

Result<sys::ExecResult> demo(const std::vector<std::string>& args) {
  sys::ExecRequest req;
  req.path = "/bin/bash";
  req.args = {std::string(KT_SOURCE_DIR) + "/scripts/demo.sh"};
  req.args.insert(req.args.end(), args.begin(), args.end());
  // This build tree, already built; no package installation from a test.
  req.env = {{"BUILD_DIR", KT_BUILD_DIR}, {"JOBS", "1"}, {"KUMA_SKIP_DEPS", "1"}};
  req.timeout = std::chrono::minutes(5);
  return sys::run(req);
}

TEST(Demo, HelpPrintsTheDemosUsageAndDoesNothing) {
  for (const char* flag : {"--help", "-h"}) {
    auto r = demo({"--backend", "nftables", flag});
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->exitCode, 0) << r->describe();
    EXPECT_EQ(r->out.rfind("usage: sudo scripts/demo.sh", 0), 0u) << r->out;
    EXPECT_EQ(r->out.find("kuma-tproxy install --netns"), std::string::npos) << r->out;
    EXPECT_EQ(r->err, "");
  }
}

TEST(Demo, StopsWhenInstallInstalledNothing) {
  if (!isRoot()) GTEST_SKIP() << "needs root: the demo creates network namespaces";
  auto r = demo({"--dry-run"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_NE(r->exitCode, 0) << r->out;
  EXPECT_NE(r->err.find("installed nothing in the pod"), std::string::npos) << r->err;
  // The traffic table never printed: the first probe line would name the app's outbound.
  EXPECT_EQ(r->out.find("app -> 10.0.0.2:8080"), std::string::npos) << r->out;
}

}  // namespace
}  // namespace kt::e2e
