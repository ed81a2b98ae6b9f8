#include "support/fixture.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "backend/ebpf/ebpf_backend.h"
#include "backend/ebpf/layout.h"
#include "sys/netns.h"

namespace kt::ebpftest {

uint32_t cgroupAttachments(const std::string& cgroup) {
  int fd = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 9999;
  uint32_t total = 0;
  for (const auto& p : backend::ebpf::kCgroupPrograms) {
    uint32_t ids[64], cnt = 64, flags = 0;
    if (bpf_prog_query(fd, p.attachType, 0, &flags, ids, &cnt) == 0) total += cnt;
  }
  ::close(fd);
  return total;
}

uint32_t netnsAttachments(const std::string& netnsPath) {
  int fd = ::open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 9999;
  uint32_t ids[64], cnt = 64, flags = 0;
  if (bpf_prog_query(fd, BPF_SK_LOOKUP, 0, &flags, ids, &cnt) != 0) cnt = 9999;
  ::close(fd);
  return cnt;
}

void EbpfTest::SetUp() {
  if (!isRoot()) GTEST_SKIP() << "needs root: creates namespaces, cgroups and BPF programs";
  auto cg = scratchCgroup();
  ASSERT_TRUE(cg.ok()) << cg.error().message();
  cgroup_ = std::move(*cg);
  auto fs = scratchBpffs();
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  bpffs_ = std::move(*fs);
}

void EbpfTest::TearDown() {
  procs_.clear();
  pods_.clear();
  bpffs_.reset();
  cgroup_.reset();
  std::error_code ec;
  std::filesystem::remove_all(stateDir(), ec);
}

std::string EbpfTest::stateDir() const {
  return "/tmp/kt-ebpf-state-" + std::to_string(::getpid());
}

Pod* EbpfTest::addPod(uint8_t net, bool ipv6) {
  auto pod = std::make_unique<Pod>();
  auto pn = PodNet::make(net, ipv6);
  if (!pn.ok()) {
    ADD_FAILURE() << pn.error().message();
    return nullptr;
  }
  pod->net = std::move(*pn);
  pod->cgroup = cgroup_->path();
  pod->cfg.backend = config::Backend::kEbpf;
  pod->cfg.ebpf.enabled = true;
  pod->cfg.ebpf.cgroupPath = cgroup_->path();
  pod->cfg.ebpf.bpffsPath = bpffs_->path();
  pod->cfg.ebpf.instanceIps = {pod->net->podV4};
  pod->cfg.ebpf.stateDir = stateDir();
  pod->facts.kumaDpUid = kSidecarUid;
  pod->facts.ipv6 = ipv6;
  pods_.push_back(std::move(pod));
  return pods_.back().get();
}

namespace {

Result<std::unique_ptr<backend::Backend>> makeIn(const Pod& pod, const config::Config& cfg) {
  return backend::ebpf::make(cfg, {}, pod.facts);
}

}  // namespace

Status EbpfTest::install(const Pod& pod) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(pod.net->pod().path()));
  KT_ASSIGN_OR_RETURN(auto b, makeIn(pod, pod.cfg));
  return b->install();
}

Status EbpfTest::uninstall(const Pod& pod, bool all) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(pod.net->pod().path()));
  config::RunOptions run;
  run.uninstallAll = all;
  auto b = backend::ebpf::forUninstall(pod.cfg, run);
  if (!b) return okStatus();
  return b->uninstall();
}

Result<backend::VerifyReport> EbpfTest::verify(const Pod& pod) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(pod.net->pod().path()));
  KT_ASSIGN_OR_RETURN(auto b, makeIn(pod, pod.cfg));
  return b->verify();
}

Result<std::string> EbpfTest::render(const Pod& pod) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(pod.net->pod().path()));
  KT_ASSIGN_OR_RETURN(auto b, makeIn(pod, pod.cfg));
  return b->render();
}

bool EbpfTest::keep(Result<std::unique_ptr<Proc>> proc) {
  if (!proc.ok()) {
    ADD_FAILURE() << proc.error().message();
    return false;
  }
  procs_.push_back(std::move(*proc));
  return true;
}

bool EbpfTest::startSidecar(const Pod& pod) {
  const auto& c = pod.cfg;
  std::vector<Listen> tcp = {{Family::kV4, c.outbound.port},
                             {Family::kV6, c.outbound.port},
                             {Family::kV4, c.inbound.port}};
  if (pod.facts.ipv6) tcp.push_back({Family::kV6, c.inbound.portV6});
  return keep(ebpftest::startSidecar(pod.sidecar(), tcp, c.dns.port));
}

}  // namespace kt::ebpftest
