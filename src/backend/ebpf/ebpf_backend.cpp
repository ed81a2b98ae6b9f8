#include "backend/ebpf/ebpf_backend.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "backend/ebpf/created.h"
#include "backend/ebpf/host.h"
#include "backend/ebpf/layout.h"
#include "backend/ebpf/libbpf_util.h"
#include "backend/ebpf/node.h"
#include "backend/ebpf/objects.h"
#include "backend/ebpf/pins.h"
#include "backend/ebpf/plan.h"
#include "backend/ebpf/pod.h"
#include "sys/netlink_addr.h"
#include "sys/netns.h"

namespace kt::backend::ebpf {

namespace {

using config::Config;
using config::Facts;

const char* mapTypeName(bpf_map_type t) {
  const char* s = libbpf_bpf_map_type_str(t);
  return s != nullptr ? s : "?";
}

// The pod's namespace as install and verify see it: its cookie, its addresses and the inbound
// interface's index, read from the kernel. A dry-run reads nothing: the plan then holds only what
// the configuration says (the instance IPs, the interface by name) and an unknown cookie.
Result<PodFacts> gatherPodFacts(const Config& cfg, bool dryRun) {
  PodFacts pod;
  if (dryRun) {
    pod.instanceIps = cfg.ebpf.instanceIps;
    pod.inboundIface = cfg.ebpf.tcAttachIface;
    return pod;
  }
  KT_ASSIGN_OR_RETURN(pod.netnsCookie, currentNetnsCookie());
  KT_ASSIGN_OR_RETURN(pod.localAddresses, interfaceAddresses());
  pod.instanceIps = cfg.ebpf.instanceIps;
  if (!cfg.ebpf.tcAttachIface.empty()) {
    KT_ASSIGN_OR_RETURN(pod.inboundIfindex, interfaceIndex(cfg.ebpf.tcAttachIface));
    pod.inboundIface = cfg.ebpf.tcAttachIface;
  }
  return pod;
}

std::string ms(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

class EbpfBackend final : public Backend {
 public:
  EbpfBackend(Config cfg, bool uninstallAll, Facts facts, PodFacts pod, PodPlan plan)
      : cfg_(std::move(cfg)),
        uninstallAll_(uninstallAll),
        facts_(std::move(facts)),
        pod_(std::move(pod)),
        plan_(std::move(plan)),
        layout_(PinLayout::under(cfg_.ebpf.bpffsPath)),
        source_{cfg_.ebpf.programsSourcePath, cfg_.ebpf.programsSha256} {}

  std::string name() const override { return "ebpf"; }

  Result<std::string> render() override {
    std::ostringstream out;
    out << "# eBPF plan (pin layout " << layoutDirName() << ")\n";
    out << "objects:\n";
    for (auto kind : {ObjectKind::kCgroup, ObjectKind::kNetns}) {
      out << "  " << objectFileName(kind) << ": " << source_.describe(kind) << "\n";
    }
    // Not opened here: install checks that the path is a cgroup v2 directory.
    out << "cgroup: " << cfg_.ebpf.cgroupPath << " (cgroup v2)\n";
    out << "bpffs: " << layout_.bpffs << "\n";
    out << "node programs (attached once per node, shared by every pod):\n";
    for (const auto& p : kCgroupPrograms) {
      out << "  " << p.name << " -> " << p.hook << " at " << cfg_.ebpf.cgroupPath << ", pinned at "
          << layout_.link(p.name) << "\n";
    }
    out << "pod program (attached to this network namespace):\n";
    const std::string cookie = cookieText(plan_.netnsCookie);
    out << "  " << kSkLookupProgram << " -> sk_lookup, pinned at " << layout_.podsDir() << "/"
        << cookie << "/" << kSkLookupPin << "\n";
    out << "maps (shared by every pod):\n";
    for (const auto& m : kMapSpecs) {
      out << "  " << m.name << " (" << mapTypeName(m.type) << ", key " << m.keySize << " B, value "
          << m.valueSize << " B, max " << m.maxEntries << ") pinned at " << layout_.map(m.name)
          << "\n";
    }
    out << "pod entry (kt_pods[" << cookie << "]):\n";
    for (const auto& line : describePlan(plan_))
      out << "  " << line << "\n";
    for (const auto& w : plan_.warnings)
      out << "# warning: " << w << "\n";
    return out.str();
  }

  Status install() override {
    auto start = std::chrono::steady_clock::now();
    KT_TRY(preparePassthroughV6());
    KT_ASSIGN_OR_RETURN(CgroupDir cgroup, openCgroup2(cfg_.ebpf.cgroupPath));
    CreatedBpffs created;
    auto status = ensureBpffs(layout_.bpffs, &created);
    if (status) status = installLocked(cgroup, start);
    if (!status) {
      // Leave nothing behind: what this install attached is rolled back, the layout directories
      // it made go, and so do the bpffs it mounted and the directories it created for it.
      if (!created.empty()) {
        removeEmptyLayout();
        (void)removeCreated(created);
      }
      return status;
    }
    if (auto r = recordCreated(cfg_.ebpf.stateDir, created); !r) {
      spdlog::warn(
          "eBPF: cannot record that this install created {} ({}); uninstall will leave it in "
          "place",
          layout_.bpffs, r.error().message());
    }
    return okStatus();
  }

  Result<VerifyReport> verify() override {
    VerifyReport report;
    if (!isBpffs(layout_.bpffs) || !exists(layout_.root)) {
      report.differences.push_back("- missing: eBPF pins at " + layout_.root);
      return report;
    }
    for (const auto& other : otherLayoutDirs(layout_.bpffs)) {
      report.differences.push_back("+ unexpected: pins of another layout version at " + other);
    }
    KT_ASSIGN_OR_RETURN(uint64_t cgroupId, cgroupIdOf(cfg_.ebpf.cgroupPath));
    auto node = inspectNode(layout_, cgroupId);
    report.differences.insert(report.differences.end(), node.differences.begin(),
                              node.differences.end());
    auto maps = openPinnedMaps(layout_);
    if (!maps) return report;
    KT_ASSIGN_OR_RETURN(uint64_t ino, sys::currentNetnsInode());
    KT_ASSIGN_OR_RETURN(PodReadback back, readPod(layout_, *maps, plan_.netnsCookie, ino));
    if (!back.linkAttached) report.differences.push_back("- missing: " + back.linkProblem);
    if (!back.pod) {
      report.differences.push_back("- missing: kt_pods entry of network namespace " +
                                   std::to_string(plan_.netnsCookie));
      return report;
    }
    PodPlan found;
    found.netnsCookie = plan_.netnsCookie;
    found.pod = *back.pod;
    found.pod.gen = 0;
    found.portSets = back.portSets;
    found.addrs = back.addrs;
    auto want = describePlan(plan_), got = describePlan(found);
    std::set<std::string> wantSet(want.begin(), want.end()), gotSet(got.begin(), got.end());
    for (const auto& l : want)
      if (!gotSet.count(l)) report.differences.push_back("- missing: " + l);
    for (const auto& l : got)
      if (!wantSet.count(l)) report.differences.push_back("+ unexpected: " + l);
    return report;
  }

  Status uninstall() override {
    if (!isBpffs(layout_.bpffs)) return okStatus();
    if (uninstallAll_) {
      {
        // Our own version's lock keeps a concurrent install of this version out meanwhile.
        std::optional<LayoutLock> lock;
        if (exists(layout_.root)) {
          KT_ASSIGN_OR_RETURN(LayoutLock l, LayoutLock::acquire(layout_));
          lock.emplace(std::move(l));
        }
        for (const auto& dir : allLayoutDirs(layout_.bpffs)) {
          KT_TRY(removePinTree(dir, /*detachLinks=*/true).context("uninstall --ebpf-all"));
          spdlog::info("eBPF: detached and removed every pin under {}", dir);
        }
      }
      return removeWhatInstallsCreated();
    }
    if (!exists(layout_.root)) return okStatus();
    bool lastPod = false;
    {
      KT_ASSIGN_OR_RETURN(LayoutLock lock, LayoutLock::acquire(layout_));
      KT_ASSIGN_OR_RETURN(uint64_t cookie, currentNetnsCookie());
      auto maps = openPinnedMaps(layout_);
      if (!maps) {
        if (maps.error().kind() != ErrorKind::kNotFound) return std::move(maps).takeError();
        // No maps: nothing can hold this pod's entry; only its link may be left.
        return removePinTree(layout_.podDir(cookie), /*detachLinks=*/true);
      }
      KT_TRY(
          removePod(layout_, *maps, cookie).context("uninstalling the pod's eBPF configuration"));
      spdlog::info("eBPF: removed the configuration of network namespace {}", cookie);
      uint64_t key = 0;
      lastPod = bpf_map_get_next_key((*maps)[kPods].get(), nullptr, &key) != 0 && errno == ENOENT;
      if (lastPod) {
        // In a bpffs an install of ours created, the last pod takes the node-wide programs with
        // it, and the bpffs and its directories go below. In any other bpffs they stay for the
        // next pod (`uninstall --ebpf-all` removes them).
        KT_ASSIGN_OR_RETURN(auto record, readCreated(cfg_.ebpf.stateDir, layout_.bpffs));
        if (!record) {
          spdlog::info(
              "eBPF: the node-wide programs stay attached for other pods; `uninstall --ebpf-all` "
              "removes them");
          return okStatus();
        }
        KT_TRY(removePinTree(layout_.root, /*detachLinks=*/true)
                   .context("removing the node-wide programs of the last pod"));
        spdlog::info("eBPF: last pod gone: detached and removed every pin under {}", layout_.root);
      }
    }
    if (!lastPod) return okStatus();
    return removeWhatInstallsCreated();
  }

  Result<std::vector<std::string>> installedState() override {
    std::vector<std::string> out;
    if (!isBpffs(layout_.bpffs)) return out;
    if (uninstallAll_) {
      for (const auto& dir : allLayoutDirs(layout_.bpffs))
        out.push_back("node-wide programs, maps and pins under " + dir);
      return out;
    }
    if (!exists(layout_.root)) return out;
    KT_ASSIGN_OR_RETURN(uint64_t cookie, currentNetnsCookie());
    // Only the pod's kt_pods entry: every install of another backend asks, so this must not
    // walk the node-wide maps (readPod does).
    if (auto pods = openPinnedMap(layout_, kMapSpecs[kPods])) {
      kt_pod pod{};
      if (bpf_map_lookup_elem(pods->get(), &cookie, &pod) == 0) {
        out.push_back("IPv4" + std::string(pod.flags & KT_POD_IPV6 ? " and IPv6" : "") +
                      ": kt_pods entry of network namespace " + std::to_string(cookie));
      }
    }
    if (exists(layout_.podDir(cookie))) {
      out.push_back("sk_lookup program and pins of network namespace " + std::to_string(cookie) +
                    " at " + layout_.podDir(cookie));
    }
    return out;
  }

 private:
  Status installLocked(const CgroupDir& cgroup, std::chrono::steady_clock::time_point start) {
    KT_TRY(checkNoOtherLayouts(layout_.bpffs));
    KT_TRY(createLayoutDirs(layout_));
    KT_ASSIGN_OR_RETURN(LayoutLock lock, LayoutLock::acquire(layout_));
    auto node = NodeSetup::ensure(layout_, source_, cgroup, plan_.netnsCookie);
    if (!node) {
      removeEmptyLayout();
      return std::move(node).takeError().context("eBPF install");
    }
    auto gc = collectGarbage(layout_, (*node)->maps());
    if (!gc) spdlog::warn("eBPF: cleaning up removed pods: {}", gc.error().message());

    sys::Fd netns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!netns) return Error::system("opening the current network namespace", errno);
    KT_ASSIGN_OR_RETURN(uint64_t ino, sys::currentNetnsInode());
    auto status =
        installPod(layout_, (*node)->maps(), plan_, netns.get(), ino, (*node)->takePodProgram());
    if (!status) {
      bool loaded = (*node)->loadedPrograms();
      node->reset();  // rolls back what this install attached
      if (loaded) removeEmptyLayout();
      return std::move(status).takeError().context("eBPF install");
    }
    (*node)->commit();
    spdlog::info(
        "eBPF: configured network namespace {} in {}{}", plan_.netnsCookie,
        ms(std::chrono::steady_clock::now() - start),
        (*node)->loadedPrograms() ? " (first pod on this node: programs loaded and attached)" : "");
    return okStatus();
  }

  // Envoy binds its IPv6 inbound passthrough connections to ::6, which must be a local address:
  // added to loopback as the rule backends do. Without it IPv6 is not intercepted (an error when
  // dual-stack was asked for explicitly).
  Status preparePassthroughV6() {
    if (!(plan_.pod.flags & KT_POD_IPV6)) return okStatus();
    auto added = sys::addPassthroughV6(facts_.loopbackIface, facts_.loopbackIndex);
    if (added) return okStatus();
    Status s = std::move(added).takeError();
    if (cfg_.ipFamilyModeExplicit) {
      return std::move(s).takeError().context("preparing IPv6 interception");
    }
    spdlog::warn("eBPF: cannot add ::6/128 to {} ({}); IPv6 traffic will not be intercepted",
                 facts_.loopbackIface, s.error().message());
    // The plan is this backend's own: the run's facts stay as they are.
    Facts withoutIpv6 = facts_;
    withoutIpv6.ipv6 = false;
    KT_ASSIGN_OR_RETURN(plan_, planPod(cfg_, withoutIpv6, pod_));
    return okStatus();
  }

  // The bpffs mount and directories installs recorded creating (nothing when none did), once no
  // pins of ours are left in it.
  Status removeWhatInstallsCreated() {
    KT_ASSIGN_OR_RETURN(auto record, readCreated(cfg_.ebpf.stateDir, layout_.bpffs));
    if (!record) return okStatus();
    if (!allLayoutDirs(layout_.bpffs).empty()) return okStatus();
    KT_TRY(removeCreated(*record));
    return forgetCreated(cfg_.ebpf.stateDir, layout_.bpffs);
  }

  // After a rollback on a fresh node: the empty directories go too.
  void removeEmptyLayout() {
    for (const auto& dir :
         {layout_.podsDir(), layout_.linksDir(), layout_.mapsDir(), layout_.root}) {
      ::rmdir(dir.c_str());  // fails (harmlessly) when not empty
    }
  }

  Config cfg_;
  bool uninstallAll_;  // RunOptions::uninstallAll
  const Facts facts_;  // the run's facts, pod network included (backend/pod_network.h)
  PodFacts pod_;
  PodPlan plan_;
  PinLayout layout_;
  ObjectSource source_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make(const config::Config& cfg, const config::RunOptions& run,
                                      const config::Facts& facts) {
  installLibbpfLogBridge();
  KT_ASSIGN_OR_RETURN(PodFacts pod, gatherPodFacts(cfg, run.dryRun));
  KT_ASSIGN_OR_RETURN(PodPlan plan, planPod(cfg, facts, pod));
  for (const auto& w : plan.warnings)
    spdlog::warn("eBPF: {}", w);
  return std::unique_ptr<Backend>(
      new EbpfBackend(cfg, run.uninstallAll, facts, std::move(pod), std::move(plan)));
}

std::unique_ptr<Backend> forUninstall(const config::Config& cfg, const config::RunOptions& run) {
  PinLayout layout = PinLayout::under(cfg.ebpf.bpffsPath);
  if (!isBpffs(layout.bpffs) || allLayoutDirs(layout.bpffs).empty()) return nullptr;
  installLibbpfLogBridge();
  PodPlan plan;
  if (auto cookie = currentNetnsCookie()) plan.netnsCookie = *cookie;
  return std::unique_ptr<Backend>(
      new EbpfBackend(cfg, run.uninstallAll, config::Facts{}, PodFacts{}, std::move(plan)));
}

}  // namespace kt::backend::ebpf
