#include "backend/ebpf/node.h"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "backend/ebpf/pins.h"
#include "backend/ebpf/probe.h"
#include "backend/ebpf/sk_lookup_prog.h"
#include "base/stopwatch.h"

namespace kt::backend::ebpf {

namespace {

// What is pinned for one cgroup program.
enum class LinkState { kMissing, kAttachedHere, kStale };

struct LinkCheck {
  LinkState state = LinkState::kMissing;
  std::string detail;
};

LinkCheck checkLink(const PinLayout& layout, const CgroupProgram& p, uint64_t cgroupId) {
  std::string path = layout.link(p.name);
  auto fd = openPinned(path);
  if (!fd) return {};
  auto info = linkInfo(fd->get());
  if (!info) return {LinkState::kStale, info.error().message()};
  if (info->type != BPF_LINK_TYPE_CGROUP || info->attachType != p.attachType) {
    return {LinkState::kStale, "not a " + std::string(p.hook) + " cgroup link"};
  }
  if (info->cgroupId == 0) return {LinkState::kStale, "its cgroup is gone"};
  if (info->cgroupId != cgroupId) {
    return {LinkState::kAttachedHere,  // refined by the caller: attached, but elsewhere
            "attached to cgroup id " + std::to_string(info->cgroupId)};
  }
  return {LinkState::kAttachedHere, ""};
}

Result<sys::Fd> dupFd(int fd) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return Error::system("duplicating a map fd", errno);
  return sys::Fd(copy);
}

Status checkObjectMaps(const BpfObject& obj) {
  for (const auto& spec : kMapSpecs) {
    bpf_map* m = obj.map(spec.name);
    if (m == nullptr || bpf_map__type(m) != spec.type || bpf_map__key_size(m) != spec.keySize ||
        bpf_map__value_size(m) != spec.valueSize || bpf_map__max_entries(m) != spec.maxEntries ||
        bpf_map__map_flags(m) != spec.flags) {
      return Error::runtime(std::string("BPF object ") + objectFileName(obj.kind()) + ": map " +
                            spec.name + " does not match this kuma-tproxy's layout");
    }
  }
  return okStatus();
}

}  // namespace

Result<std::unique_ptr<NodeSetup>> NodeSetup::ensure(const PinLayout& layout,
                                                     const ObjectSource& source,
                                                     const CgroupDir& cgroup,
                                                     uint64_t netnsCookie) {
  std::unique_ptr<NodeSetup> self(new NodeSetup());

  // Which links are there, and are they ours to reuse?
  std::vector<const CgroupProgram*> toAttach;
  for (const auto& p : kCgroupPrograms) {
    LinkCheck c = checkLink(layout, p, cgroup.id);
    if (c.state == LinkState::kAttachedHere && !c.detail.empty()) {
      return Error(ErrorKind::kUnsupported,
                   std::string("the node-wide eBPF programs are already ") + c.detail +
                       " (pinned at " + layout.link(p.name) + "), not to " + cgroup.path)
          .hint(
              "every pod of a node must use the same --ebpf-cgroup-path; to move them, run "
              "`uninstall --ebpf-all` first");
    }
    if (c.state == LinkState::kStale) {
      spdlog::warn("eBPF: replacing stale link {} ({})", layout.link(p.name), c.detail);
      KT_TRY(unpin(layout.link(p.name)));
    }
    if (c.state != LinkState::kAttachedHere) toAttach.push_back(&p);
  }

  if (toAttach.empty()) {
    auto maps = openPinnedMaps(layout);
    if (!maps) {
      return std::move(maps).takeError().context(
          "the node-wide eBPF programs are attached but their maps cannot be opened");
    }
    self->maps_ = std::move(*maps);
    spdlog::debug("eBPF: node-wide programs already attached at {}", cgroup.path);
    KT_TRY(self->ensureSkLookupTemplate(layout, source, netnsCookie));
    return self;
  }

  // First install on this node (or a repair): load, pin, attach. The kernel is probed only when
  // that fails: loading the real programs tries every feature they use, and the probes then name
  // everything missing in one error (what was attached meanwhile is rolled back with `self`).
  Stopwatch steps;
  auto status = [&]() -> Status {
    KT_ASSIGN_OR_RETURN(self->object_, BpfObject::open(ObjectKind::kCgroup, source));
    BpfObject& obj = *self->object_;
    KT_TRY(checkObjectMaps(obj));
    std::vector<bool> reused(kMapSpecs.size(), false);
    for (size_t i = 0; i < kMapSpecs.size(); ++i) {
      auto pinned = openPinnedMap(layout, kMapSpecs[i]);
      if (!pinned) {
        if (pinned.error().kind() == ErrorKind::kNotFound) continue;
        return std::move(pinned).takeError();
      }
      int err = bpf_map__reuse_fd(obj.map(kMapSpecs[i].name), pinned->get());
      if (err != 0) return libbpfError(std::string("reusing pinned map ") + kMapSpecs[i].name, err);
      reused[i] = true;
    }
    spdlog::debug("eBPF: opening the object took {:.2f} ms", steps.lapMs());
    KT_TRY(obj.load());
    spdlog::debug("eBPF: loading the programs took {:.2f} ms", steps.lapMs());

    for (size_t i = 0; i < kMapSpecs.size(); ++i) {
      bpf_map* m = obj.map(kMapSpecs[i].name);
      if (!reused[i]) {
        std::string path = layout.map(kMapSpecs[i].name);
        int err = bpf_map__pin(m, path.c_str());
        if (err != 0) return libbpfError("pinning map at " + path, err);
        self->createdPins_.push_back(path);
      }
      KT_ASSIGN_OR_RETURN(self->maps_[i], dupFd(bpf_map__fd(m)));
    }

    for (const CgroupProgram* p : toAttach) {
      bpf_program* prog = obj.program(p->name);
      if (prog == nullptr)
        return Error::runtime(std::string("BPF program ") + p->name + " missing");
      bpf_link* raw = bpf_program__attach_cgroup(prog, cgroup.fd.get());
      if (raw == nullptr) {
        int err = errno;
        return Error::system(std::string("attaching ") + p->hook + " to cgroup " + cgroup.path, err)
            .hint(
                "the cgroup must be on cgroup v2; attaching needs CAP_SYS_ADMIN (or CAP_BPF + "
                "CAP_NET_ADMIN)");
      }
      BpfLinkPtr link(raw);
      std::string path = layout.link(p->name);
      int err = bpf_link__pin(link.get(), path.c_str());
      if (err != 0) return libbpfError("pinning link at " + path, err);
      self->createdPins_.push_back(path);
      self->createdLinks_.push_back(std::move(link));
    }
    spdlog::debug("eBPF: pinning and attaching took {:.2f} ms", steps.lapMs());
    KT_TRY(self->ensureSkLookupTemplate(layout, source, netnsCookie));
    spdlog::debug("eBPF: the sk_lookup template took {:.2f} ms", steps.lapMs());
    return okStatus();
  }();
  if (!status && status.error().kind() != ErrorKind::kConfig) {
    auto probe = probeKernel();
    spdlog::debug("eBPF: kernel probes after a failed set-up took {:.2f} ms", steps.lapMs());
    if (!probe) {
      spdlog::info("eBPF: setting up the node failed: {}", status.error().message());
      return std::move(probe).takeError();
    }
  }
  if (!status) return std::move(status).takeError();
  self->loaded_ = true;
  spdlog::info("eBPF: attached {} programs at cgroup {} (object {})", toAttach.size(), cgroup.path,
               source.describe(ObjectKind::kCgroup));
  return self;
}

Status NodeSetup::ensureSkLookupTemplate(const PinLayout& layout, const ObjectSource& source,
                                         uint64_t netnsCookie) {
  auto pinned = openSkLookupTemplate(layout);
  if (pinned) return okStatus();
  if (pinned.error().kind() != ErrorKind::kNotFound) return std::move(pinned).takeError();
  KT_ASSIGN_OR_RETURN(auto built, buildSkLookupTemplate(source, maps_, netnsCookie));
  KT_TRY(pinSkLookupTemplate(layout, *built.tmpl));
  createdPins_.push_back(layout.map(kSkLookupTemplateMap));
  podProgram_ = std::move(built.prog);
  loaded_ = true;
  spdlog::debug("eBPF: pinned the sk_lookup template ({} instructions)", built.tmpl->insnCount);
  return okStatus();
}

NodeSetup::~NodeSetup() {
  if (committed_) return;  // links stay pinned; closing our fds leaves them attached
  // Roll back: unpin first, then the last reference to each link goes with createdLinks_.
  for (auto it = createdPins_.rbegin(); it != createdPins_.rend(); ++it) {
    if (auto s = unpin(*it); !s) spdlog::warn("eBPF rollback: {}", s.error().message());
  }
  for (auto& link : createdLinks_) {
    // A link someone else still holds open would outlive us: detach it explicitly.
    bpf_link__detach(link.get());
  }
  if (!createdPins_.empty()) spdlog::info("eBPF: rolled back {} pins", createdPins_.size());
}

NodeReport inspectNode(const PinLayout& layout, uint64_t cgroupId) {
  NodeReport r;
  for (const auto& p : kCgroupPrograms) {
    LinkCheck c = checkLink(layout, p, cgroupId);
    if (c.state == LinkState::kMissing) {
      r.differences.push_back("- missing: " + std::string(p.hook) + " link " + layout.link(p.name));
    } else if (c.state == LinkState::kStale || !c.detail.empty()) {
      r.differences.push_back("- wrong: " + std::string(p.hook) + " link " + layout.link(p.name) +
                              ": " + c.detail);
    }
  }
  for (const auto& spec : kMapSpecs) {
    auto m = openPinnedMap(layout, spec);
    if (!m) r.differences.push_back("- map " + layout.map(spec.name) + ": " + m.error().message());
  }
  if (auto t = openSkLookupTemplate(layout); !t) {
    r.differences.push_back("- sk_lookup template " + layout.map(kSkLookupTemplateMap) + ": " +
                            t.error().message());
  }
  return r;
}

}  // namespace kt::backend::ebpf
