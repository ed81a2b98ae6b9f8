#include "cni/install/repair.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <spdlog/spdlog.h>

#include "base/net.h"
#include "base/strings.h"
#include "cni/commands.h"
#include "cni/kube_client.h"
#include "cni/kubeconfig.h"
#include "cni/pod.h"
#include "sys/netlink_addr.h"
#include "sys/netns.h"

namespace kt::cni {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool isPid(const std::string& name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The addresses on interfaces other than loopback of the namespace at `path`.
Result<std::vector<std::string>> addressesIn(const std::string& path) {
  KT_ASSIGN_OR_RETURN(auto guard, sys::NetnsGuard::enter(path));
  std::vector<std::string> out;
  for (Family family : {Family::kV4, Family::kV6}) {
    KT_ASSIGN_OR_RETURN(auto addresses, sys::listAddresses(family));
    for (const auto& a : addresses) {
      if (!a.loopback) out.push_back(a.cidr.addr.str());
    }
  }
  return out;
}

// The pod's addresses in IpAddress::str() form (the API may spell IPv6 differently).
std::vector<std::string> canonicalIps(const Pod& pod) {
  std::vector<std::string> ips;
  for (const auto& text : pod.ips) {
    if (auto ip = IpAddress::parse(text)) ips.push_back(ip->str());
  }
  return ips;
}

}  // namespace

std::chrono::milliseconds podBackoff(std::chrono::milliseconds interval, uint32_t failures) {
  auto d = interval;
  for (uint32_t i = 1; i < failures && d < kMaxPodBackoff; ++i)
    d *= 2;
  return std::min(d, kMaxPodBackoff);
}

std::vector<NodeNetns> walkNodeNamespaces(const std::string& netnsDir, const std::string& procDir) {
  std::vector<NodeNetns> found;
  struct stat own {};
  // Our own namespace (the node's, for a host-network installer) is never a candidate.
  bool haveOwn = ::stat("/proc/thread-self/ns/net", &own) == 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  if (haveOwn) seen.insert({own.st_dev, own.st_ino});
  std::vector<std::string> candidates;
  for (const auto& name : listDir(netnsDir))
    candidates.push_back(netnsDir + "/" + name);
  for (const auto& name : listDir(procDir)) {
    if (isPid(name)) candidates.push_back(procDir + "/" + name + "/ns/net");
  }
  for (const auto& path : candidates) {
    struct stat st {};
    // nsfs files of /var/run/netns are bind mounts: stat follows to the namespace inode.
    if (::stat(path.c_str(), &st) != 0) continue;  // gone meanwhile, or not ours to see
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    auto addresses = addressesIn(path);
    if (!addresses) {
      spdlog::debug("repair: skipping namespace {}: {}", path, addresses.error().message());
      continue;
    }
    found.push_back({path, static_cast<uint64_t>(st.st_ino), std::move(*addresses)});
  }
  return found;
}

Result<Repairer> Repairer::make(const InstallConfig& cfg, NetConf plugin) {
  if (cfg.nodeName.empty()) {
    return Error::config("NODE_NAME is not set")
        .hint("set it from the downward API (spec.nodeName), or REPAIR_ENABLED=false");
  }
  plugin.kubernetes.kubeconfig = cfg.kubeconfigMountedPath();
  return Repairer(cfg, std::move(plugin));
}

void Repairer::failed(const std::string& key, Clock::time_point now) {
  auto& b = backoff_[key];
  ++b.failures;
  b.next = now + podBackoff(cfg_.repairInterval, b.failures);
}

Status Repairer::reconcileOnce() {
  const auto start = Clock::now();
  ++stats_.passes;
  auto finish = [&] {
    stats_.lastDurationSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  };
  // One attempt per pass, bounded by the interval: the next pass is the retry.
  const auto& k = plugin_.kubernetes;
  RetryPolicy policy{1, k.apiRetryInterval, std::min(k.apiTimeout, cfg_.repairInterval)};
  auto listed = [&]() -> Result<std::vector<Pod>> {
    KT_ASSIGN_OR_RETURN(auto kc, loadKubeConfig(k.kubeconfig));
    KT_ASSIGN_OR_RETURN(auto client, KubeClient::make(kc));
    KT_ASSIGN_OR_RETURN(auto body, client.listNodePods(cfg_.nodeName, policy));
    return Pod::listFromJson(body);
  }();
  if (!listed) {
    ++stats_.failures;
    finish();
    return std::move(listed).takeError().context("repair: listing this node's pods");
  }

  struct Selected {
    std::string who;
    config::Config cfg;
    config::RunOptions run;
    std::vector<std::string> ips;
  };
  std::vector<Selected> selected;
  std::set<std::string> present;
  for (const auto& pod : *listed) {
    std::string who = pod.ns + "/" + pod.name;
    present.insert(who);
    // The selector is the API server's; a pod of another node is never ours to touch.
    if (pod.nodeName != cfg_.nodeName || pod.hostNetwork) continue;
    if (pod.phase == "Succeeded" || pod.phase == "Failed") continue;
    auto plan = planPod(pod, plugin_);
    if (!plan) {
      // ADD would fail for this pod too; its own ADD reports it. Logged once per back-off.
      auto it = backoff_.find(who);
      if (it == backoff_.end() || Clock::now() >= it->second.next) {
        spdlog::warn("repair: {}", plan.error().message());
        failed(who, start);
      }
      continue;
    }
    if (plan->skip) continue;
    selected.push_back({who, std::move(plan->cfg), std::move(plan->run), canonicalIps(pod)});
  }
  // Forget the back-off of pods that are gone.
  std::erase_if(backoff_, [&](const auto& entry) { return !present.count(entry.first); });

  // Nothing to look for: no namespace is entered at all.
  auto namespaces = selected.empty() ? std::vector<NodeNetns>() : walkNodeNamespaces();
  // How many selected pods claim each namespace: one that two pods claim is nobody's.
  std::map<size_t, int> claims;
  std::vector<std::vector<size_t>> podNs(selected.size());
  for (size_t p = 0; p < selected.size(); ++p) {
    for (size_t n = 0; n < namespaces.size(); ++n) {
      const auto& have = namespaces[n].addresses;
      bool hit = std::any_of(selected[p].ips.begin(), selected[p].ips.end(), [&](const auto& ip) {
        return std::find(have.begin(), have.end(), ip) != have.end();
      });
      if (hit) podNs[p].push_back(n);
    }
    if (podNs[p].size() == 1) ++claims[podNs[p][0]];
  }

  uint32_t installs = 0;
  for (size_t p = 0; p < selected.size(); ++p) {
    const auto& pod = selected[p];
    auto now = Clock::now();
    if (auto it = backoff_.find(pod.who); it != backoff_.end() && now < it->second.next) continue;
    if (podNs[p].size() != 1 || claims[podNs[p][0]] != 1) {
      // Not created yet, no address yet, or an address more than one namespace (or pod)
      // holds: never guessed. Retried with the back-off.
      spdlog::debug("repair: {}: no single network namespace holds its addresses ({}) yet", pod.who,
                    pod.ips.empty() ? "none listed" : join(pod.ips, ", "));
      failed(pod.who, now);
      continue;
    }
    if (installs >= cfg_.repairMaxPerPass) {
      spdlog::info("repair: {} repairs this pass, the limit; the rest wait for the next pass",
                   installs);
      break;
    }
    const auto& netns = namespaces[podNs[p][0]];
    ++stats_.podsChecked;
    config::RunOptions run = pod.run;
    run.netnsPath = netns.path;
    auto differences = ensureInstalled(pod.cfg, run, plugin_, now + cfg_.repairInterval);
    if (!differences) {
      ++stats_.failures;
      spdlog::error("repair: {} in {}: {}", pod.who, netns.path, differences.error().message());
      failed(pod.who, now);
      continue;
    }
    backoff_.erase(pod.who);
    if (differences->empty()) continue;
    ++installs;
    ++stats_.repairs;
    // One line per repair: which pod, which namespace, what was missing.
    spdlog::warn("repair: {} in {} (netns inode {}): interception installed; it lacked: {}",
                 pod.who, netns.path, netns.inode, join(*differences, "; "));
  }
  finish();
  spdlog::debug(
      "repair: pass {}: {} pods listed, {} selected, {} namespaces, {} repaired in {:.1f} ms",
      stats_.passes, listed->size(), selected.size(), namespaces.size(), installs,
      stats_.lastDurationSeconds * 1000);
  return okStatus();
}

}  // namespace kt::cni
