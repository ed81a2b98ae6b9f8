// The trust boundary of CNI mode, driven through the real plugin chain with the stub API server
// serving hostile annotations: a pod may set pod-level settings only, node-level ones (where root
// loads programs from, which bpffs it mounts, which files it opens, how long it waits) come from
// the administrator's network configuration, and DEL cleans up where ADD installed. Root:
// namespaces, bridge, cgroup v2, bpffs.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backend/ebpf/ebpf_backend.h"
#include "backend/ebpf/host.h"
#include "chain_fixture.h"
#include "support/env.h"
#include "support/fixture.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr char kProgramsSource[] = "kuma.io/transparent-proxying-ebpf-programs-source-path";
constexpr char kBpffsPath[] = "kuma.io/transparent-proxying-ebpf-bpf-fs-path";
constexpr char kConfigAnnotation[] = "traffic.kuma.io/transparent-proxy-config";

// Whatever a test left in a bpffs path it pointed the plugin at: pins detached and removed, the
// mount gone. Runs also when an assertion failed.
struct BpffsCleanup {
  std::string bpffs, cgroup;
  ~BpffsCleanup() {
    if (!backend::ebpf::isBpffs(bpffs)) return;
    config::Config cfg;
    cfg.ebpf.bpffsPath = bpffs;
    cfg.ebpf.cgroupPath = cgroup;
    config::RunOptions run;
    run.uninstallAll = true;
    if (auto b = backend::ebpf::forUninstall(cfg, run)) (void)b->uninstall();
    ::umount2(bpffs.c_str(), MNT_DETACH);
  }
};

class Trust : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: network namespaces, bridge, cgroup v2, bpffs";
  }

  // A chain whose kuma-cni entry carries `admin` (the administrator's keys).
  void start(const json& admin) {
    f_ = std::make_unique<ChainFixture>("1.0.0", admin);
    ASSERT_TRUE(f_->ok()) << f_->whyNot();
  }

  // ADD of an injected pod with `annotations`; the CNI error object when it fails.
  ChainOutcome add(const std::string& name, const json& annotations,
                   std::unique_ptr<ChainFixture::Pod>& pod) {
    f_->api().addPod(makePod("shop", name, true, annotations));
    pod = std::make_unique<ChainFixture::Pod>(f_->pod("shop", name));
    return f_->runtime().add(pod->attachment);
  }

  // A scratch cgroup v2 directory for the eBPF backend's node programs.
  std::string scratchCgroup() {
    auto cg = ebpftest::scratchCgroup();
    if (!cg) {
      ADD_FAILURE() << cg.error().message();
      return "";
    }
    cgroup_ = std::move(*cg);
    return cgroup_->path();
  }

  std::unique_ptr<ChainFixture> f_;
  std::unique_ptr<ebpftest::ScratchCgroup> cgroup_;
};

TEST_F(Trust, AProgramsSourcePathAnnotationFailsAddNamingTheAllowList) {
  start(json::object());
  std::unique_ptr<ChainFixture::Pod> pod;
  auto r = add("loader",
               {{"kuma.io/transparent-proxying-ebpf", "enabled"},
                {kProgramsSource, f_->tmp() / "evil-programs"}},
               pod);
  ASSERT_FALSE(r.ok) << r.describe();
  EXPECT_EQ(r.calls.back().type, "kuma-cni");
  EXPECT_EQ(r.error()["code"], 7) << r.describe();
  std::string details = r.error()["details"];
  EXPECT_THAT(details, HasSubstr(std::string("annotation ") + kProgramsSource));
  EXPECT_THAT(details, HasSubstr("\"ebpf.programsSourcePath\" to allow_pod_settings"));
  // CHECK refuses it just the same.
  auto check = f_->runtime().check(pod->attachment);
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(f_->runtime().del(pod->attachment).ok);
}

TEST_F(Trust, ABpffsPathAnnotationFailsAddAndCreatesNothing) {
  std::string cgroup = scratchCgroup();
  ASSERT_FALSE(cgroup.empty());
  start({{"tproxy_config", {{"ebpf", {{"cgroupPath", cgroup}}}}}});
  std::string evil = f_->tmp() / "evil";
  BpffsCleanup cleanup{evil + "/bpf", cgroup};
  std::unique_ptr<ChainFixture::Pod> pod;
  auto r =
      add("mounter",
          {{"kuma.io/transparent-proxying-ebpf", "enabled"}, {kBpffsPath, evil + "/bpf"}}, pod);
  ASSERT_FALSE(r.ok) << r.describe();
  EXPECT_EQ(r.error()["code"], 7) << r.describe();
  EXPECT_THAT(r.error()["details"].get<std::string>(),
              HasSubstr("\"ebpf.bpffsPath\" to allow_pod_settings"));
  EXPECT_FALSE(fs::exists(evil)) << "ADD created " << evil;
  EXPECT_EQ(ebpftest::cgroupAttachments(cgroup), 0u);
  EXPECT_TRUE(f_->runtime().del(pod->attachment).ok);
}

TEST_F(Trust, TheConfigAnnotationMayNotChooseTheResolvConfPath) {
  start(json::object());
  // A file only root may read: its content must not reach the error either.
  std::string secret = f_->tmp() / "secret";
  spit(secret, "root:$6$kt-secret-hash:19000:0:99999:7:::\n");
  ::chmod(secret.c_str(), 0600);
  std::unique_ptr<ChainFixture::Pod> pod;
  auto r = add("reader",
               {{kConfigAnnotation,
                 "redirect:\n  dns:\n    enabled: true\n    resolvConfigPath: " + secret + "\n"}},
               pod);
  ASSERT_FALSE(r.ok) << r.describe();
  EXPECT_EQ(r.error()["code"], 7) << r.describe();
  std::string details = r.error()["details"];
  EXPECT_THAT(details, HasSubstr(std::string("annotation ") + kConfigAnnotation));
  EXPECT_THAT(details, HasSubstr("\"redirect.dns.resolvConfigPath\" to allow_pod_settings"));
  EXPECT_EQ(details.find("kt-secret-hash"), std::string::npos) << details;
  EXPECT_TRUE(f_->runtime().del(pod->attachment).ok);
}

TEST_F(Trust, AllowedBackendsRefuseAnotherBackend) {
  start({{"allowed_backends", {"iptables"}}});
  std::unique_ptr<ChainFixture::Pod> pod;
  auto r = add("nft", {{"kuma.io/transparent-proxying-experimental-engine", "enabled"}}, pod);
  ASSERT_FALSE(r.ok) << r.describe();
  EXPECT_EQ(r.error()["code"], 7) << r.describe();
  EXPECT_THAT(r.error()["details"].get<std::string>(),
              HasSubstr("chooses the nftables backend, which the node administrator does not "
                        "allow for pods (allowed_backends"));
  EXPECT_TRUE(f_->runtime().del(pod->attachment).ok);
  // The allowed one still works.
  std::unique_ptr<ChainFixture::Pod> ok;
  auto r2 = add("ipt", json::object(), ok);
  EXPECT_TRUE(r2.ok) << r2.describe() << f_->kumaLog();
  EXPECT_TRUE(f_->runtime().del(ok->attachment).ok);
}

// The administrator's bpffs path (not the default) is where ADD installs, and DEL, which has no
// pod to read annotations from, removes what ADD made there: the pod, the node programs of the
// last pod, the bpffs ADD mounted and the directories it created.
TEST_F(Trust, DelCleansUpUnderTheAdministratorsBpffsPath) {
  std::string cgroup = scratchCgroup();
  ASSERT_FALSE(cgroup.empty());
  std::string tmpRoot = "/tmp/kt-cni-trust-" + std::to_string(::getpid());
  std::string bpffs = tmpRoot + "/node/bpf";
  BpffsCleanup cleanup{bpffs, cgroup};
  struct RemoveRoot {
    std::string p;
    ~RemoveRoot() {
      std::error_code ec;
      if (!backend::ebpf::isBpffs(p + "/node/bpf")) fs::remove_all(p, ec);
    }
  } removeRoot{tmpRoot};
  start({{"tproxy_config", {{"ebpf", {{"bpffsPath", bpffs}, {"cgroupPath", cgroup}}}}}});
  std::unique_ptr<ChainFixture::Pod> pod;
  auto r = add("ebpf", {{"kuma.io/transparent-proxying-ebpf", "enabled"}}, pod);
  ASSERT_TRUE(r.ok) << r.describe() << f_->kumaLog();
  EXPECT_TRUE(backend::ebpf::isBpffs(bpffs));
  EXPECT_GT(ebpftest::cgroupAttachments(cgroup), 0u);

  auto del = f_->runtime().del(pod->attachment);
  ASSERT_TRUE(del.ok) << del.describe() << f_->kumaLog();
  EXPECT_FALSE(backend::ebpf::isBpffs(bpffs)) << f_->kumaLog();
  EXPECT_FALSE(fs::exists(tmpRoot)) << "DEL left the directories ADD created";
  EXPECT_EQ(ebpftest::cgroupAttachments(cgroup), 0u);
  EXPECT_TRUE(fs::is_empty(f_->tmp() / "state/pods")) << "the pod's record is gone";
}

// allow_pod_settings opens one node-level setting: the pod's bpffs path is used, and DEL (from
// ADD's record) cleans it up.
TEST_F(Trust, AnAllowedPodBpffsPathIsUsedAndCleanedUp) {
  std::string cgroup = scratchCgroup();
  ASSERT_FALSE(cgroup.empty());
  std::string podBpffs = "/tmp/kt-cni-trust-pod-" + std::to_string(::getpid());
  BpffsCleanup cleanup{podBpffs, cgroup};
  start({{"tproxy_config", {{"ebpf", {{"cgroupPath", cgroup}}}}},
         {"allow_pod_settings", {"ebpf.bpffsPath"}}});
  std::unique_ptr<ChainFixture::Pod> pod;
  auto r = add("chooser",
               {{"kuma.io/transparent-proxying-ebpf", "enabled"}, {kBpffsPath, podBpffs}}, pod);
  ASSERT_TRUE(r.ok) << r.describe() << f_->kumaLog();
  EXPECT_TRUE(backend::ebpf::isBpffs(podBpffs));
  auto del = f_->runtime().del(pod->attachment);
  ASSERT_TRUE(del.ok) << del.describe();
  EXPECT_FALSE(backend::ebpf::isBpffs(podBpffs));
  EXPECT_FALSE(fs::exists(podBpffs));
  EXPECT_EQ(ebpftest::cgroupAttachments(cgroup), 0u);
}

}  // namespace
}  // namespace kt::cni::test
