// The GoogleTest fixture shared by the e2e suites: one PodEnv per test, built for the backend
// under test (scratch cgroup / bpffs when it needs them), and install/uninstall helpers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "expect.h"
#include "harness/backends.h"
#include "harness/pod_env.h"

namespace kt::e2e {

// gtest prints the parameters of every test: names, not bytes.
inline void PrintTo(const BackendSpec& b, std::ostream* os) {
  *os << b.name;
}
inline void PrintTo(Scenario::Ipv6 v, std::ostream* os) {
  *os << Scenario{v}.name();
}

// Test parameter names must be identifiers: "iptables_nft" + "_IPv4".
inline std::string paramName(const BackendSpec& b, const std::string& suffix) {
  return b.name + "_" + suffix;
}

class BackendFixture {
 protected:
  // Builds the environment; GTEST_SKIPs without root or when the backend is not in this build.
  void setUpFor(const BackendSpec& backend) {
    backend_ = &backend;
    if (!isRoot()) GTEST_SKIP() << "needs root: creates network namespaces and installs rules";
    PodEnvOptions opt;
    opt.tag = "pod";
    opt.cgroup = backend.needsCgroup;
    opt.bpffs = backend.needsBpffs;
    auto env = PodEnv::make(opt);
    ASSERT_TRUE(env.ok()) << env.error().message();
    env_ = std::move(*env);
    if (auto reason = backend.notReady(env_->installEnv())) GTEST_SKIP() << *reason;
  }

  void tearDown() {
    if (!env_) return;
    Status s = env_->stopProcesses();
    EXPECT_TRUE(s.ok()) << s.error().message();
    env_.reset();
  }

  ::testing::AssertionResult install(const Scenario& s = {}) {
    Status st = backend_->install(env_->installEnv(), s);
    if (!st) return ::testing::AssertionFailure() << "install: " << st.error().message();
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult uninstall() {
    Status st = backend_->uninstall(env_->installEnv());
    if (!st) return ::testing::AssertionFailure() << "uninstall: " << st.error().message();
    return ::testing::AssertionSuccess();
  }

  const BackendSpec* backend_ = nullptr;
  std::unique_ptr<PodEnv> env_;
};

}  // namespace kt::e2e
