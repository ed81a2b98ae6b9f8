// Install, re-install, uninstall and verify of the eBPF backend, several pods on one node, and
// what is left in the kernel afterwards (label e2e).
#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "backend/ebpf/host.h"
#include "backend/ebpf/layout.h"
#include "backend/ebpf/pins.h"
#include "backend/ebpf/pod.h"
#include "backend/ebpf/probe.h"
#include "backend/ebpf/sk_lookup_prog.h"
#include "support/fixture.h"

namespace kt::ebpftest {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
namespace eb = backend::ebpf;

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class Lifecycle : public EbpfTest {
 protected:
  eb::PinLayout layout() const { return eb::PinLayout::under(bpffs_->path()); }

  bool startPeer(const Pod& p) {
    return keep(startServer(p.peer(), "server",
                            {{Family::kV4, 8080}, {Family::kV4, 9000}, {Family::kV6, 8080}}));
  }
  bool startApp(const Pod& p) {
    return keep(startServer(p.appServer(), "app", {{Family::kV4, 80}, {Family::kV6, 80}}));
  }
};

TEST_F(Lifecycle, ThisKernelHasEveryFeature) {
  // The probes find nothing missing on the kernels we run on (6.x): a probe that wrongly
  // reports a feature missing would block every install.
  EXPECT_THAT(eb::missingKernelFeatures(), IsEmpty());
  EXPECT_TRUE(eb::probeKernel().ok());
}

TEST_F(Lifecycle, TwoPodsWithDifferentSettingsShareThePrograms) {
  Pod* a = addPod(71);
  Pod* b = addPod(72);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  a->cfg.outbound.excludePorts = {{9000, 9000}};
  b->cfg.outbound.port = 15101;
  b->cfg.inbound.port = 15106;
  b->cfg.inbound.portV6 = 15110;
  b->cfg.dns.port = 15153;
  b->cfg.dns.enabled = true;
  b->cfg.dns.captureAll = true;
  b->facts.kumaDpUid = kSidecarUid;
  ASSERT_TRUE(install(*a).ok());
  ASSERT_TRUE(install(*b).ok());
  // One set of node-wide programs for both pods.
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), eb::kCgroupPrograms.size());
  for (Pod* p : {a, b}) {
    ASSERT_TRUE(startSidecar(*p));
    ASSERT_TRUE(startPeer(*p));
    ASSERT_TRUE(startApp(*p));
  }
  auto check = [&](bool aInstalled) {
    SCOPED_TRACE(aInstalled ? "both installed" : "pod A uninstalled");
    auto a8080 = tcpConnect(a->app(), a->net->peerV4, 8080);
    auto a9000 = tcpConnect(a->app(), a->net->peerV4, 9000);
    auto aIn = tcpConnect(a->peer(), a->net->podV4, 80);
    if (aInstalled) {
      EXPECT_THAT(a8080.reply, StartsWith("sidecar port=15001")) << a8080.describe();
      EXPECT_THAT(a9000.reply, StartsWith("server port=9000")) << a9000.describe();
      EXPECT_THAT(aIn.reply, StartsWith("sidecar port=15006")) << aIn.describe();
    } else {
      EXPECT_THAT(a8080.reply, StartsWith("server port=8080")) << a8080.describe();
      EXPECT_THAT(aIn.reply, StartsWith("app port=80")) << aIn.describe();
    }
    auto b8080 = tcpConnect(b->app(), b->net->peerV4, 8080);
    auto b9000 = tcpConnect(b->app(), b->net->peerV4, 9000);
    auto bIn4 = tcpConnect(b->peer(), b->net->podV4, 80);
    auto bIn6 = tcpConnect(b->peer(), b->net->podV6, 80);
    EXPECT_THAT(b8080.reply, StartsWith("sidecar port=15101 orig=10.72.0.1:8080"))
        << b8080.describe();
    EXPECT_THAT(b9000.reply, StartsWith("sidecar port=15101 orig=10.72.0.1:9000"))
        << b9000.describe();
    EXPECT_THAT(bIn4.reply, StartsWith("sidecar port=15106 orig=10.72.0.2:80")) << bIn4.describe();
    EXPECT_THAT(bIn6.reply, StartsWith("sidecar port=15110 orig=[fd72::2]:80")) << bIn6.describe();
    EXPECT_EQ(udpQuery(b->app(), b->net->peerV4, 53, false).reply, "dns-proxy");
  };
  check(true);
  ASSERT_TRUE(uninstall(*a).ok());
  check(false);
  // A's pod directory and link are gone; B's and the node's programs remain.
  eb::PinLayout l = layout();
  auto pods = eb::pinnedPods(l);
  EXPECT_EQ(pods.size(), 1u);
  EXPECT_EQ(netnsAttachments(a->net->pod().path()), 0u);
  EXPECT_EQ(netnsAttachments(b->net->pod().path()), 1u);
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), eb::kCgroupPrograms.size());
  auto report = verify(*b);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_THAT(report->differences, IsEmpty());
}

TEST_F(Lifecycle, NamespaceWithoutAnEntryIsUntouched) {
  Pod* meshed = addPod(73);
  Pod* plain = addPod(74);
  ASSERT_NE(meshed, nullptr);
  ASSERT_NE(plain, nullptr);
  ASSERT_TRUE(install(*meshed).ok());
  // The plain pod's processes are in the same cgroup, so the programs run for them too.
  ASSERT_TRUE(startPeer(*plain));
  ASSERT_TRUE(startApp(*plain));
  auto out = tcpConnect(plain->app(), plain->net->peerV4, 8080);
  EXPECT_THAT(out.reply, StartsWith("server port=8080")) << out.describe();
  auto out6 = tcpConnect(plain->app(), plain->net->peerV6, 8080);
  EXPECT_THAT(out6.reply, StartsWith("server port=8080")) << out6.describe();
  auto in = tcpConnect(plain->peer(), plain->net->podV4, 80);
  EXPECT_THAT(in.reply, StartsWith("app port=80")) << in.describe();
  EXPECT_EQ(netnsAttachments(plain->net->pod().path()), 0u);
}

TEST_F(Lifecycle, ReinstallReplacesThePodsEntry) {
  Pod* p = addPod(75);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(install(*p).ok());
  ASSERT_TRUE(install(*p).ok());  // twice == once
  auto report = verify(*p);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_THAT(report->differences, IsEmpty());
  EXPECT_EQ(netnsAttachments(p->net->pod().path()), 1u);
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startPeer(*p));
  EXPECT_THAT(tcpConnect(p->app(), p->net->peerV4, 8080).reply, StartsWith("sidecar port=15001"));

  // New settings replace the old ones; verify sees the new ones only.
  p->cfg.outbound.excludePorts = {{8080, 8080}};
  p->cfg.outbound.excludeIps = {*Cidr::parse("192.0.2.0/24")};
  ASSERT_TRUE(install(*p).ok());
  EXPECT_THAT(tcpConnect(p->app(), p->net->peerV4, 8080).reply, StartsWith("server port=8080"));
  EXPECT_THAT(tcpConnect(p->app(), p->net->peerV4, 9000).reply, StartsWith("sidecar port=15001"));
  report = verify(*p);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_THAT(report->differences, IsEmpty());
  EXPECT_EQ(netnsAttachments(p->net->pod().path()), 1u);
}

TEST_F(Lifecycle, VerifyReportsWhatIsMissingOrDifferent) {
  Pod* p = addPod(76);
  ASSERT_NE(p, nullptr);
  auto before = verify(*p);
  ASSERT_TRUE(before.ok()) << before.error().message();
  EXPECT_FALSE(before->ok());
  ASSERT_TRUE(install(*p).ok());
  p->cfg.outbound.port = 15002;  // the kernel still has 15001
  auto changed = verify(*p);
  ASSERT_TRUE(changed.ok()) << changed.error().message();
  EXPECT_THAT(changed->differences, ::testing::Contains(HasSubstr("outbound TCP -> port 15001")));
  EXPECT_THAT(changed->differences, ::testing::Contains(HasSubstr("outbound TCP -> port 15002")));
}

TEST_F(Lifecycle, UninstallAllLeavesNoPinsAndNoAttachments) {
  Pod* a = addPod(77);
  Pod* b = addPod(78);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(install(*a).ok());
  ASSERT_TRUE(install(*b).ok());
  ASSERT_TRUE(uninstall(*a).ok());  // this pod only: the node-wide programs stay
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), eb::kCgroupPrograms.size());
  EXPECT_TRUE(exists(layout().root));

  ASSERT_TRUE(uninstall(*b, /*all=*/true).ok());
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
  EXPECT_EQ(netnsAttachments(a->net->pod().path()), 0u);
  EXPECT_EQ(netnsAttachments(b->net->pod().path()), 0u);
  EXPECT_FALSE(exists(layout().root));
  EXPECT_THAT(eb::allLayoutDirs(bpffs_->path()), IsEmpty());
  // Nothing left: uninstall again succeeds, and traffic goes direct.
  EXPECT_TRUE(uninstall(*b, true).ok());
  EXPECT_TRUE(uninstall(*b).ok());
  ASSERT_TRUE(startPeer(*b));
  EXPECT_THAT(tcpConnect(b->app(), b->net->peerV4, 8080).reply, StartsWith("server port=8080"));
}

TEST_F(Lifecycle, PodsWhoseNamespaceIsGoneAreCleanedUp) {
  Pod* keepPod = addPod(79);
  ASSERT_NE(keepPod, nullptr);
  uint64_t goneCookie = 0;
  {
    auto gone = PodNet::make(80);
    ASSERT_TRUE(gone.ok()) << gone.error().message();
    Pod tmp;
    tmp.net = std::move(*gone);
    tmp.cgroup = cgroup_->path();
    tmp.cfg = keepPod->cfg;
    tmp.facts = keepPod->facts;
    ASSERT_TRUE(install(tmp).ok());
    auto pods = eb::pinnedPods(layout());
    ASSERT_EQ(pods.size(), 1u);
    goneCookie = pods.front();
  }  // the namespace is deleted here; the kernel detaches its sk_lookup link
  // Namespace teardown is asynchronous: the next install may still see the link attached for a
  // moment, so install (which collects garbage) until it is gone, for at most 5 s.
  bool collected = false;
  for (int i = 0; i < 50 && !collected; ++i) {
    ASSERT_TRUE(install(*keepPod).ok());
    auto pods = eb::pinnedPods(layout());
    collected = std::find(pods.begin(), pods.end(), goneCookie) == pods.end();
    if (!collected) ::usleep(100 * 1000);
  }
  EXPECT_TRUE(collected) << "the pod of a deleted namespace was not cleaned up";
  EXPECT_EQ(eb::pinnedPods(layout()).size(), 1u);
}

TEST_F(Lifecycle, SidecarListeningBeforeInstallIsAdopted) {
  Pod* p = addPod(84);
  ASSERT_NE(p, nullptr);
  // The sidecar's listen() calls happen before the pod has an entry, so sockops cannot register
  // them: install takes them over from the running process.
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startApp(*p));
  ASSERT_TRUE(install(*p).ok());
  auto in4 = tcpConnect(p->peer(), p->net->podV4, 80);
  EXPECT_THAT(in4.reply, StartsWith("sidecar port=15006 orig=10.84.0.2:80")) << in4.describe();
  auto in6 = tcpConnect(p->peer(), p->net->podV6, 80);
  EXPECT_THAT(in6.reply, StartsWith("sidecar port=15010 orig=[fd84::2]:80")) << in6.describe();
}

TEST_F(Lifecycle, InterruptedNodeSetupIsRepairedByTheNextInstall) {
  Pod* p = addPod(85);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(install(*p).ok());
  // As if an earlier install died half-way: three links are gone.
  for (const char* name : {"kt_connect4", "kt_sockops", "kt_getsockopt"}) {
    auto fd = eb::openPinned(layout().link(name));
    ASSERT_TRUE(fd.ok());
    ASSERT_EQ(bpf_link_detach(fd->get()), 0);
    ASSERT_TRUE(eb::unpin(layout().link(name)).ok());
  }
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), eb::kCgroupPrograms.size() - 3);
  ASSERT_TRUE(install(*p).ok());
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), eb::kCgroupPrograms.size());
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startPeer(*p));
  ASSERT_TRUE(startApp(*p));
  EXPECT_THAT(tcpConnect(p->app(), p->net->peerV4, 8080).reply,
              StartsWith("sidecar port=15001 orig=10.85.0.1:8080"));
  EXPECT_THAT(tcpConnect(p->peer(), p->net->podV4, 80).reply,
              StartsWith("sidecar port=15006 orig=10.85.0.2:80"));
}

// The pods' sk_lookup programs come from the node's pinned template: one instance per namespace
// (each with its own cookie), no object file opened per pod.
TEST_F(Lifecycle, PodProgramsAreLoadedFromTheNodesTemplate) {
  Pod* a = addPod(86);
  Pod* b = addPod(87);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(install(*a).ok());
  auto tmpl = eb::openSkLookupTemplate(layout());
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message();
  // Frozen: no system call can change the template once it is pinned.
  auto value = std::make_unique<eb::SkLookupTemplate>();
  uint32_t key = 0;
  ASSERT_EQ(bpf_map_lookup_elem(tmpl->get(), &key, value.get()), 0);
  EXPECT_NE(bpf_map_update_elem(tmpl->get(), &key, value.get(), BPF_ANY), 0);
  EXPECT_EQ(errno, EPERM);
  ASSERT_TRUE(install(*b).ok());

  auto pods = eb::pinnedPods(layout());
  ASSERT_EQ(pods.size(), 2u);
  std::vector<uint32_t> progs;
  for (uint64_t cookie : pods) {
    auto link = eb::openPinned(layout().podLink(cookie));
    ASSERT_TRUE(link.ok()) << link.error().message();
    auto info = eb::linkInfo(link->get());
    ASSERT_TRUE(info.ok()) << info.error().message();
    progs.push_back(info->progId);
  }
  EXPECT_NE(progs[0], progs[1]);
  for (Pod* p : {a, b}) {
    ASSERT_TRUE(startSidecar(*p));
    ASSERT_TRUE(startApp(*p));
    EXPECT_THAT(tcpConnect(p->peer(), p->net->podV4, 80).reply, StartsWith("sidecar port=15006"));
  }
}

TEST_F(Lifecycle, MissingTemplateIsReportedAndRepaired) {
  Pod* p = addPod(88);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(install(*p).ok());
  std::string pin = layout().map(eb::kSkLookupTemplateMap);
  ASSERT_TRUE(exists(pin));
  ASSERT_TRUE(eb::unpin(pin).ok());
  auto report = verify(*p);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_THAT(report->differences, ::testing::Contains(HasSubstr("sk_lookup template")));
  // The programs stay attached; the next install pins the template again and loads from it.
  ASSERT_TRUE(install(*p).ok());
  EXPECT_TRUE(exists(pin));
  report = verify(*p);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_THAT(report->differences, IsEmpty());
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startApp(*p));
  EXPECT_THAT(tcpConnect(p->peer(), p->net->podV4, 80).reply, StartsWith("sidecar port=15006"));
}

TEST_F(Lifecycle, ForeignTemplateIsRefused) {
  Pod* p = addPod(89);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(install(*p).ok());
  std::string pin = layout().map(eb::kSkLookupTemplateMap);
  ASSERT_TRUE(eb::unpin(pin).ok());
  // A template of the right shape whose content is not ours: refused, nothing attached.
  auto junk = std::make_unique<eb::SkLookupTemplate>();
  std::memset(junk.get(), 0, sizeof *junk);
  junk->magic = 1;
  ASSERT_TRUE(eb::pinSkLookupTemplate(layout(), *junk).ok());
  Pod* q = addPod(90);
  ASSERT_NE(q, nullptr);
  auto installed = install(*q);
  ASSERT_FALSE(installed.ok());
  EXPECT_THAT(installed.error().message(), HasSubstr("is not one this kuma-tproxy wrote"));
  EXPECT_EQ(netnsAttachments(q->net->pod().path()), 0u);
  ASSERT_TRUE(eb::unpin(pin).ok());
}

TEST_F(Lifecycle, KilledInstallsLeaveARepairableState) {
  Pod* p = addPod(86);
  ASSERT_NE(p, nullptr);
  // Install (and every third round uninstall --ebpf-all) in a child killed after 0, 1.5, 3, ...
  // ms, so the kill lands in every phase: probes, load, pinning, attaching, the pod's entry.
  for (int round = 0; round < 24; ++round) {
    bool removeAll = round % 3 == 2;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Status s = removeAll ? uninstall(*p, true) : install(*p);
      ::_exit(s.ok() ? 0 : 1);
    }
    ::usleep(static_cast<useconds_t>(round / 3 * 1500));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  // Whatever state that left, the next install completes it and uninstall removes everything.
  ASSERT_TRUE(install(*p).ok());
  auto report = verify(*p);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_THAT(report->differences, IsEmpty());
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), eb::kCgroupPrograms.size());
  EXPECT_EQ(netnsAttachments(p->net->pod().path()), 1u);
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startPeer(*p));
  EXPECT_THAT(tcpConnect(p->app(), p->net->peerV4, 8080).reply,
              StartsWith("sidecar port=15001 orig=10.86.0.1:8080"));
  ASSERT_TRUE(uninstall(*p, true).ok());
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
  EXPECT_EQ(netnsAttachments(p->net->pod().path()), 0u);
  EXPECT_THAT(eb::allLayoutDirs(bpffs_->path()), IsEmpty());
}

TEST_F(Lifecycle, DryRunPrintsThePlan) {
  Pod* p = addPod(81);
  ASSERT_NE(p, nullptr);
  p->cfg.outbound.excludePorts = {{22, 22}, {9000, 9100}};
  auto text = render(*p);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_THAT(*text, HasSubstr("kuma_tproxy_cgroup.bpf.o: embedded"));
  EXPECT_THAT(*text, HasSubstr("kt_connect4 -> cgroup/connect4 at " + cgroup_->path()));
  EXPECT_THAT(*text, HasSubstr("kt_sk_lookup -> sk_lookup, pinned at " + layout().podsDir()));
  EXPECT_THAT(*text, HasSubstr("kt_pods (hash"));
  EXPECT_THAT(*text, HasSubstr("outbound TCP -> port 15001, except ports 22,9000-9100"));
  EXPECT_THAT(*text, HasSubstr("inbound TCP -> port 15006 (IPv6 15010)"));
  // Dry-run changes nothing.
  EXPECT_FALSE(exists(layout().root));
  EXPECT_EQ(cgroupAttachments(cgroup_->path()), 0u);
}

TEST_F(Lifecycle, ProgramsFromASourceDirectory) {
  Pod* p = addPod(82);
  ASSERT_NE(p, nullptr);
  p->cfg.ebpf.programsSourcePath = KT_BPF_OBJECT_DIR;
  auto text = render(*p);
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr(std::string(KT_BPF_OBJECT_DIR) + "/kuma_tproxy_cgroup.bpf.o"));
  auto installed = install(*p);
  ASSERT_TRUE(installed.ok()) << installed.error().message();
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startPeer(*p));
  EXPECT_THAT(tcpConnect(p->app(), p->net->peerV4, 8080).reply, StartsWith("sidecar port=15001"));
}

TEST_F(Lifecycle, InterfaceFilterLimitsInboundSteering) {
  Pod* p = addPod(83);
  ASSERT_NE(p, nullptr);
  // A second veth pair: traffic arriving there is not steered when eth0 is named.
  ASSERT_TRUE(ip({"-n", p->net->pod().name(), "link", "add", "eth1", "type", "veth", "peer", "name",
                  "eth1", "netns", p->net->peer().name()})
                  .ok());
  for (const auto& [ns, addr] : {std::pair{p->net->pod().name(), "10.183.0.2/24"},
                                 std::pair{p->net->peer().name(), "10.183.0.1/24"}}) {
    ASSERT_TRUE(ip({"-n", ns, "addr", "add", addr, "dev", "eth1"}).ok());
    ASSERT_TRUE(ip({"-n", ns, "link", "set", "eth1", "up"}).ok());
  }
  p->cfg.ebpf.tcAttachIface = "eth0";
  ASSERT_TRUE(install(*p).ok());
  ASSERT_TRUE(startSidecar(*p));
  ASSERT_TRUE(startApp(*p));
  EXPECT_THAT(tcpConnect(p->peer(), p->net->podV4, 80).reply, StartsWith("sidecar port=15006"));
  EXPECT_THAT(tcpConnect(p->peer(), *IpAddress::parse("10.183.0.2"), 80).reply,
              StartsWith("app port=80"));
}

}  // namespace
}  // namespace kt::ebpftest
