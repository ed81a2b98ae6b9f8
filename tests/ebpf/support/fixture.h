// GoogleTest fixture for the eBPF backend: a scratch cgroup v2 directory and a scratch bpffs per
// test, pods (namespace pairs) on demand, and install/uninstall through the backend API in the
// pod's namespace, exactly as main does after entering --netns.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "config/config.h"
#include "config/facts.h"
#include "support/env.h"
#include "support/traffic.h"

namespace kt::ebpftest {

// Programs attached at the cgroup directory, over every attach type the backend uses (9999 when
// the directory cannot be opened).
uint32_t cgroupAttachments(const std::string& cgroup);
// sk_lookup programs attached to the network namespace at netnsPath (9999 when unreadable).
uint32_t netnsAttachments(const std::string& netnsPath);

inline constexpr uid_t kSidecarUid = 5678;
inline constexpr uid_t kAppUid = 1000;

struct Pod {
  std::unique_ptr<PodNet> net;
  std::string cgroup;
  config::Config cfg;
  config::Facts facts;

  Place app(uid_t uid = kAppUid) const { return {net->pod().path(), cgroup, uid}; }
  // The application's listeners run as root: port 80 is privileged, and who listens does not
  // matter to the programs (only the sidecar uid's listeners are registered).
  Place appServer() const { return {net->pod().path(), cgroup, 0}; }
  Place sidecar() const { return {net->pod().path(), cgroup, kSidecarUid}; }
  Place peer() const { return {net->peer().path(), "", 0}; }
};

class EbpfTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new pod on subnet `net` (10.<net>.0.0/24, fd<net>::/64) with the default eBPF config
  // pointing at this test's cgroup and bpffs. nullptr (and a test failure) if set-up failed.
  Pod* addPod(uint8_t net, bool ipv6 = true);

  // Runs the backend's install / uninstall / verify in the pod's namespace.
  Status install(const Pod& pod);
  Status uninstall(const Pod& pod, bool all = false);
  Result<backend::VerifyReport> verify(const Pod& pod);
  Result<std::string> render(const Pod& pod);

  // Keeps a started process until the end of the test; false (and a test failure) if it did
  // not start.
  bool keep(Result<std::unique_ptr<Proc>> proc);

  // The records of what installs created (Config::Ebpf::stateDir), removed after the test.
  std::string stateDir() const;

  // The fake sidecar of `pod` on its configured ports (both families, DNS on its DNS port).
  bool startSidecar(const Pod& pod);

  std::unique_ptr<ScratchCgroup> cgroup_;
  std::unique_ptr<ScratchBpffs> bpffs_;
  std::vector<std::unique_ptr<Pod>> pods_;
  std::vector<std::unique_ptr<Proc>> procs_;
};

}  // namespace kt::ebpftest
