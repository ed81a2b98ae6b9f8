#include "backend/ebpf/pins.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::backend::ebpf {

namespace {

Status makeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return okStatus();
  int err = errno;
  auto e = Error::system("creating " + path, err);
  if (err == EROFS) {
    return std::move(e)
        .kind(ErrorKind::kPermission)
        .hint(
            "the bpf file system is mounted read-only; the eBPF backend must pin its programs "
            "and maps there (mount it read-write into the init container)");
  }
  return e;
}

bool parseLayoutDir(const std::string& name, uint32_t& version) {
  if (!startsWith(name, kLayoutDirPrefix)) return false;
  std::string digits = name.substr(std::strlen(kLayoutDirPrefix));
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  version = static_cast<uint32_t>(std::stoul(digits));
  return true;
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.push_back(e->d_name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Status createLayoutDirs(const PinLayout& layout) {
  for (const auto& dir : {layout.root, layout.mapsDir(), layout.linksDir(), layout.podsDir()}) {
    KT_TRY(makeDir(dir));
  }
  return okStatus();
}

Result<LayoutLock> LayoutLock::acquire(const PinLayout& layout, std::chrono::milliseconds timeout) {
  sys::Fd fd(::open(layout.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return Error::system("opening " + layout.root + " to lock it", errno);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) return Error::system("locking " + layout.root, err);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(ErrorKind::kTransient,
                   "another kuma-tproxy holds the lock on " + layout.root + " for too long")
          .hint("an install or uninstall on this node seems stuck; retry later");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return LayoutLock(std::move(fd));
}

std::vector<std::string> allLayoutDirs(const std::string& bpffs) {
  std::vector<std::string> out;
  for (const auto& name : listDir(bpffs)) {
    uint32_t v = 0;
    if (parseLayoutDir(name, v)) out.push_back(bpffs + "/" + name);
  }
  return out;
}

std::vector<std::string> otherLayoutDirs(const std::string& bpffs) {
  std::vector<std::string> out;
  for (const auto& name : listDir(bpffs)) {
    uint32_t v = 0;
    if (parseLayoutDir(name, v) && v != kLayoutVersion) out.push_back(bpffs + "/" + name);
  }
  return out;
}

Status checkNoOtherLayouts(const std::string& bpffs) {
  auto others = otherLayoutDirs(bpffs);
  if (others.empty()) return okStatus();
  return Error(ErrorKind::kUnsupported,
               "pins of another eBPF layout version are present: " + join(others, ", ") +
                   " (this kuma-tproxy uses " + layoutDirName() + ")")
      .hint(
          "remove them with `uninstall --ebpf-all` of the version that created them (or of "
          "this one, which detaches and removes every kuma_tproxy_v* pin), then install again");
}

Result<sys::Fd> openPinned(const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    int err = errno;
    return Error::system("opening pinned " + path, err);
  }
  return sys::Fd(fd);
}

Result<sys::Fd> openPinnedMap(const PinLayout& layout, const MapSpec& spec) {
  std::string path = layout.map(spec.name);
  KT_ASSIGN_OR_RETURN(sys::Fd fd, openPinned(path));
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
    return Error::system("reading map info of " + path, errno);
  }
  auto incompatible = [&](const std::string& what, uint64_t got, uint64_t want) {
    return Error(ErrorKind::kUnsupported, "pinned map " + path + " is incompatible: " + what + " " +
                                              std::to_string(got) + ", expected " +
                                              std::to_string(want))
        .hint(
            "it was created by another kuma-tproxy build; run `uninstall --ebpf-all` with that "
            "build (or this one) to remove the old pins, then install again");
  };
  if (info.type != spec.type) return incompatible("map type", info.type, spec.type);
  if (info.key_size != spec.keySize) return incompatible("key size", info.key_size, spec.keySize);
  if (info.value_size != spec.valueSize) {
    return incompatible("value size", info.value_size, spec.valueSize);
  }
  if (info.max_entries != spec.maxEntries) {
    return incompatible("max entries", info.max_entries, spec.maxEntries);
  }
  if (info.map_flags != spec.flags) return incompatible("flags", info.map_flags, spec.flags);
  return fd;
}

Result<std::array<sys::Fd, kMapSpecs.size()>> openPinnedMaps(const PinLayout& layout) {
  std::array<sys::Fd, kMapSpecs.size()> fds;
  for (size_t i = 0; i < kMapSpecs.size(); ++i) {
    KT_ASSIGN_OR_RETURN(fds[i], openPinnedMap(layout, kMapSpecs[i]));
  }
  return fds;
}

Result<LinkInfo> linkInfo(int linkFd) {
  bpf_link_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(linkFd, &info, &len) != 0) {
    return Error::system("reading link info", errno);
  }
  LinkInfo out;
  out.type = info.type;
  out.progId = info.prog_id;
  if (info.type == BPF_LINK_TYPE_CGROUP) {
    out.cgroupId = info.cgroup.cgroup_id;
    out.attachType = info.cgroup.attach_type;
  } else if (info.type == BPF_LINK_TYPE_NETNS) {
    out.netnsIno = info.netns.netns_ino;
    out.attachType = info.netns.attach_type;
  }
  return out;
}

Status unpin(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return okStatus();
  return Error::system("removing pin " + path, errno);
}

Status removePinTree(const std::string& dir, bool detachLinks) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return okStatus();
    return Error::system("stat " + dir, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (detachLinks) {
      sys::Fd fd(bpf_obj_get(dir.c_str()));
      // Only links can be detached; for maps and programs the call fails with EINVAL.
      if (fd && bpf_link_detach(fd.get()) == 0) spdlog::debug("detached {}", dir);
    }
    return unpin(dir);
  }
  for (const auto& name : listDir(dir))
    KT_TRY(removePinTree(dir + "/" + name, detachLinks));
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return Error::system("removing " + dir, errno);
  return okStatus();
}

}  // namespace kt::backend::ebpf
