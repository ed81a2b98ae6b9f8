#include "backend/ebpf/pod.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "backend/ebpf/libbpf_util.h"
#include "backend/ebpf/listeners.h"
#include "backend/ebpf/pins.h"
#include "backend/ebpf/sk_lookup_prog.h"
#include "base/stopwatch.h"

namespace kt::backend::ebpf {

namespace {

template <class V, class K>
std::optional<V> lookup(int fd, const K& key) {
  V value{};
  if (bpf_map_lookup_elem(fd, &key, &value) != 0) return std::nullopt;
  return value;
}

// Every key of a map (collected first: deleting while iterating would restart the walk).
template <class K>
std::vector<K> allKeys(int fd, uint32_t limit) {
  std::vector<K> keys;
  K cur{}, next{};
  bool first = true;
  while (keys.size() <= limit && bpf_map_get_next_key(fd, first ? nullptr : &cur, &next) == 0) {
    keys.push_back(next);
    cur = next;
    first = false;
  }
  return keys;
}

template <class K>
Status update(int fd, const K& key, const void* value, const std::string& what) {
  if (bpf_map_update_elem(fd, &key, value, BPF_ANY) != 0) {
    int err = errno;
    auto e = Error::system("writing " + what, err);
    if (err == E2BIG || err == ENOSPC || err == ENOMEM) {
      return std::move(e).hint("the node's eBPF maps are full (see docs/ebpf.md for their sizes)");
    }
    return e;
  }
  return okStatus();
}

uint32_t nextGen(uint32_t gen) {
  uint32_t g = (gen + 1) & 0xffffff;  // the gen shares kt_addr_key.tag with the family
  return g == 0 ? 1 : g;
}

uint32_t genOfTag(uint32_t tag) {
  return tag >> 8;
}

// Deletes kt_port_sets and kt_addrs entries for which `doomed(netns, gen)` holds.
void deleteEntries(const MapFds& maps, const std::function<bool(uint64_t, uint32_t)>& doomed) {
  int sets = maps[kPortSets].get(), addrs = maps[kAddrs].get();
  for (const auto& k : allKeys<kt_port_set_key>(sets, KT_MAX_PORT_SETS)) {
    if (doomed(k.netns, k.gen)) bpf_map_delete_elem(sets, &k);
  }
  for (const auto& k : allKeys<kt_addr_key>(addrs, KT_MAX_ADDRS)) {
    if (doomed(k.netns, genOfTag(k.tag))) bpf_map_delete_elem(addrs, &k);
  }
}

// Entries written by an install that has not switched kt_pods yet; deleted unless released.
class PendingEntries {
 public:
  PendingEntries(const MapFds& maps, uint64_t netns, uint32_t gen)
      : maps_(maps), netns_(netns), gen_(gen) {}
  ~PendingEntries() {
    if (!released_) {
      deleteEntries(maps_, [this](uint64_t n, uint32_t g) { return n == netns_ && g == gen_; });
    }
  }
  void release() { released_ = true; }

 private:
  const MapFds& maps_;
  uint64_t netns_;
  uint32_t gen_;
  bool released_ = false;
};

std::vector<PortRange> rangesOf(const kt_port_set& set) {
  std::vector<PortRange> out;
  int start = -1;
  for (int p = 0; p <= 65536; ++p) {
    bool in = p < 65536 && ((set.bits[p / 64] >> (p % 64)) & 1);
    if (in && start < 0) start = p;
    if (!in && start >= 0) {
      out.push_back(PortRange{static_cast<uint16_t>(start), static_cast<uint16_t>(p - 1)});
      start = -1;
    }
  }
  return out;
}

// A pod link that attachPodProgram() created, removed again if the install fails later.
struct CreatedLink {
  std::string path;
  bool created = false;
  ~CreatedLink() {
    if (!created) return;
    if (auto fd = openPinned(path)) bpf_link_detach(fd->get());
    (void)unpin(path);
  }
};

// Loads this pod's sk_lookup program from the node's template and attaches it to the namespace,
// or swaps it into the pinned link when the pod is already installed.
Status attachPodProgram(const PinLayout& layout, const MapFds& maps, uint64_t cookie, int netnsFd,
                        uint64_t netnsIno, sys::Fd prog, CreatedLink& created) {
  if (!prog) {
    KT_ASSIGN_OR_RETURN(prog, loadSkLookup(layout, maps, cookie));
  }

  std::string path = layout.podLink(cookie);
  if (auto pinned = openPinned(path)) {
    auto info = linkInfo(pinned->get());
    if (info && info->type == BPF_LINK_TYPE_NETNS && info->netnsIno == netnsIno) {
      if (bpf_link_update(pinned->get(), prog.get(), nullptr) != 0) {
        return Error::system("replacing the sk_lookup program of " + path, errno);
      }
      return okStatus();
    }
    spdlog::warn("eBPF: replacing stale pod link {}", path);
    KT_TRY(unpin(path));
  }
  if (::mkdir(layout.podDir(cookie).c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::system("creating " + layout.podDir(cookie), errno);
  }
  // Until it is pinned, closing the link's fd detaches it again.
  sys::Fd link(bpf_link_create(prog.get(), netnsFd, BPF_SK_LOOKUP, nullptr));
  if (!link) return Error::system("attaching sk_lookup to the pod's network namespace", errno);
  if (bpf_obj_pin(link.get(), path.c_str()) != 0) {
    return Error::system("pinning link at " + path, errno);
  }
  created.path = path;
  created.created = true;
  return okStatus();
}

}  // namespace

Status installPod(const PinLayout& layout, const MapFds& maps, const PodPlan& plan, int netnsFd,
                  uint64_t netnsIno, sys::Fd program) {
  const uint64_t cookie = plan.netnsCookie;
  Stopwatch steps;
  auto old = lookup<kt_pod>(maps[kPods].get(), cookie);
  const uint32_t gen = nextGen(old ? old->gen : 0);

  PendingEntries pending(maps, cookie, gen);
  for (const auto& s : plan.portSets) {
    kt_port_set_key key{};
    key.netns = cookie;
    key.gen = gen;
    key.id = s.id;
    auto bits = std::make_unique<kt_port_set>(portBitmap(s.ranges));
    KT_TRY(update(maps[kPortSets].get(), key, bits.get(), "port set (" + s.purpose + ")"));
  }
  for (const auto& a : plan.addrs) {
    kt_addr_key key = addrKey(cookie, gen, a.cidr);
    KT_TRY(update(maps[kAddrs].get(), key, &a.flags, "prefix " + a.cidr.str()));
  }

  spdlog::debug("eBPF: writing {} port sets and {} prefixes took {:.2f} ms", plan.portSets.size(),
                plan.addrs.size(), steps.lapMs());
  CreatedLink created;
  KT_TRY(attachPodProgram(layout, maps, cookie, netnsFd, netnsIno, std::move(program), created));
  spdlog::debug("eBPF: loading and attaching the pod's sk_lookup program took {:.2f} ms",
                steps.lapMs());

  kt_pod value = plan.pod;
  value.gen = gen;
  KT_TRY(update(maps[kPods].get(), cookie, &value, "the pod's kt_pods entry"));
  pending.release();
  created.created = false;
  spdlog::debug("eBPF: switching to generation {} took {:.2f} ms", gen, steps.lapMs());
  // Listeners that existed before the entry (sockops only sees listen() calls made after it).
  if (size_t n = adoptListeners(maps, cookie, value.sidecar_uid); n > 0) {
    spdlog::info("eBPF: registered {} listener(s) the sidecar opened before this install", n);
  }
  spdlog::debug("eBPF: looking for existing sidecar listeners took {:.2f} ms", steps.lapMs());

  // The previous generation (and any left by an interrupted install) is no longer read.
  deleteEntries(maps, [&](uint64_t n, uint32_t g) { return n == cookie && g != gen; });
  spdlog::debug("eBPF: deleting the previous generation took {:.2f} ms", steps.lapMs());
  return okStatus();
}

Status removePod(const PinLayout& layout, const MapFds& maps, uint64_t netnsCookie) {
  if (bpf_map_delete_elem(maps[kPods].get(), &netnsCookie) != 0 && errno != ENOENT) {
    return Error::system("deleting the pod's kt_pods entry", errno);
  }
  KT_TRY(removePinTree(layout.podDir(netnsCookie), /*detachLinks=*/true));
  deleteEntries(maps, [&](uint64_t n, uint32_t) { return n == netnsCookie; });
  return okStatus();
}

std::vector<uint64_t> pinnedPods(const PinLayout& layout) {
  std::vector<uint64_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(layout.podsDir().c_str()), ::closedir);
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name.empty() || name.size() > 20 ||
        name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    out.push_back(std::stoull(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<size_t> collectGarbage(const PinLayout& layout, const MapFds& maps) {
  std::vector<uint64_t> dead;
  for (uint64_t cookie : pinnedPods(layout)) {
    auto fd = openPinned(layout.podLink(cookie));
    if (!fd) {
      dead.push_back(cookie);
      continue;
    }
    auto info = linkInfo(fd->get());
    if (!info || info->netnsIno == 0) dead.push_back(cookie);
  }
  if (dead.empty()) return size_t{0};
  for (uint64_t cookie : dead) {
    spdlog::info("eBPF: removing the configuration of network namespace {} (gone)", cookie);
    bpf_map_delete_elem(maps[kPods].get(), &cookie);
    KT_TRY(removePinTree(layout.podDir(cookie), /*detachLinks=*/true));
  }
  // Entries of no live pod generation: the dead pods' and any left by a crash.
  std::map<uint64_t, uint32_t> live;
  for (uint64_t cookie : allKeys<uint64_t>(maps[kPods].get(), KT_MAX_PODS)) {
    if (auto p = lookup<kt_pod>(maps[kPods].get(), cookie)) live[cookie] = p->gen;
  }
  deleteEntries(maps, [&](uint64_t n, uint32_t g) {
    auto it = live.find(n);
    return it == live.end() || it->second != g;
  });
  return dead.size();
}

Result<PodReadback> readPod(const PinLayout& layout, const MapFds& maps, uint64_t netnsCookie,
                            uint64_t netnsIno) {
  PodReadback r;
  r.pod = lookup<kt_pod>(maps[kPods].get(), netnsCookie);
  if (r.pod) {
    const uint32_t gen = r.pod->gen;
    for (const auto& k : allKeys<kt_port_set_key>(maps[kPortSets].get(), KT_MAX_PORT_SETS)) {
      if (k.netns != netnsCookie || k.gen != gen) continue;
      auto bits = std::make_unique<kt_port_set>();
      if (bpf_map_lookup_elem(maps[kPortSets].get(), &k, bits.get()) != 0) continue;
      r.portSets.push_back(PortSetPlan{k.id, "", rangesOf(*bits)});
    }
    std::sort(r.portSets.begin(), r.portSets.end(),
              [](const PortSetPlan& a, const PortSetPlan& b) { return a.id < b.id; });
    for (const auto& k : allKeys<kt_addr_key>(maps[kAddrs].get(), KT_MAX_ADDRS)) {
      if (k.netns != netnsCookie || genOfTag(k.tag) != gen) continue;
      auto flags = lookup<uint32_t>(maps[kAddrs].get(), k);
      auto cidr = cidrOfKey(k);
      if (flags && cidr) r.addrs.push_back(AddrPlan{*cidr, *flags});
    }
    r.addrs = closeAddrFlags(std::move(r.addrs));  // sorts; flags are already closed
  }
  auto fd = openPinned(layout.podLink(netnsCookie));
  if (!fd) {
    r.linkProblem = "no sk_lookup link pinned at " + layout.podLink(netnsCookie);
  } else if (auto info = linkInfo(fd->get()); !info) {
    r.linkProblem = info.error().message();
  } else if (info->netnsIno != netnsIno) {
    r.linkProblem = "the sk_lookup link is attached to network namespace inode " +
                    std::to_string(info->netnsIno) + ", not this one";
  } else {
    r.linkAttached = true;
  }
  return r;
}

}  // namespace kt::backend::ebpf
