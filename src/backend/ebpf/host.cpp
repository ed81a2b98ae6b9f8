#include "backend/ebpf/host.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <spdlog/spdlog.h>

#include "backend/ebpf/created.h"
#include "base/strings.h"
#include "sys/netlink_addr.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace kt::backend::ebpf {

namespace {

// mkdir -p; existing directories are fine. Each directory made is appended to `made`.
Status makeDirs(const std::string& path, std::vector<std::string>& made) {
  std::string cur;
  for (const auto& part : split(path, '/')) {
    if (part.empty()) {
      if (cur.empty()) cur = "/";
      continue;
    }
    if (!cur.empty() && cur.back() != '/') cur += '/';
    cur += part;
    if (::mkdir(cur.c_str(), 0700) == 0) {
      made.push_back(cur);
    } else if (errno != EEXIST) {
      return Error::system("creating directory " + cur, errno);
    }
  }
  return okStatus();
}

Result<bool> isEmptyDir(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
  if (!dir) return Error::system("opening directory " + path, errno);
  while (dirent* e = ::readdir(dir.get())) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) return false;
  }
  return true;
}

}  // namespace

Result<uint64_t> currentNetnsCookie() {
  sys::Fd s(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return Error::system("creating a socket to read the network namespace cookie", errno);
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (::getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0) {
    int err = errno;
    return Error::system("getsockopt(SO_NETNS_COOKIE)", err)
        .kind(ErrorKind::kUnsupported)
        .hint("the eBPF backend needs Linux >= 5.14 (network namespace cookies)");
  }
  return cookie;
}

Result<std::vector<LocalAddress>> interfaceAddresses() {
  KT_ASSIGN_OR_RETURN(auto all, sys::listAllAddresses());
  std::vector<LocalAddress> out;
  out.reserve(all.size());
  for (const auto& a : all)
    out.push_back(LocalAddress{a.cidr.addr, a.loopback});
  return out;
}

Result<uint32_t> interfaceIndex(const std::string& name) {
  unsigned idx = ::if_nametoindex(name.c_str());
  if (idx != 0) return static_cast<uint32_t>(idx);
  int err = errno;
  std::vector<std::string> names;
  if (struct if_nameindex* all = ::if_nameindex()) {
    for (struct if_nameindex* i = all; i->if_index != 0; ++i)
      names.push_back(i->if_name);
    ::if_freenameindex(all);
  }
  return Error::system("--ebpf-tc-attach-iface: interface " + quoteForMessage(name) +
                           " not found in the pod's network namespace",
                       err)
      .kind(ErrorKind::kNotFound)
      .hint("interfaces present: " + join(names, ", "));
}

std::vector<std::string> cgroup2Mounts() {
  std::vector<std::string> out;
  std::ifstream in("/proc/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string dev, dir, type;
    if (fields >> dev >> dir >> type && type == "cgroup2") out.push_back(dir);
  }
  return out;
}

Result<CgroupDir> openCgroup2(const std::string& path) {
  auto hint = [] {
    auto mounts = cgroup2Mounts();
    if (mounts.empty())
      return std::string(
          "no cgroup v2 is mounted on this machine (cgroup v1 "
          "only); the eBPF backend needs cgroup v2");
    return "cgroup v2 is mounted at " + join(mounts, ", ") +
           ": pass it (or a directory inside it) as --ebpf-cgroup-path";
  };
  sys::Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    return Error::system("--ebpf-cgroup-path " + quoteForMessage(path) + ": cannot open", err)
        .hint(hint());
  }
  struct statfs fs {};
  if (::fstatfs(fd.get(), &fs) != 0) return Error::system("statfs " + path, errno);
  if (fs.f_type != CGROUP2_SUPER_MAGIC) {
    return Error(ErrorKind::kUnsupported, "--ebpf-cgroup-path " + quoteForMessage(path) +
                                              " is not on a cgroup v2 file system")
        .hint(hint());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::system("stat " + path, errno);
  CgroupDir dir;
  dir.fd = std::move(fd);
  dir.id = st.st_ino;
  dir.path = path;
  return dir;
}

Result<uint64_t> cgroupIdOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::system("stat " + path, errno);
  return static_cast<uint64_t>(st.st_ino);
}

bool isBpffs(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

Status ensureBpffs(const std::string& path, CreatedBpffs* created) {
  CreatedBpffs scratch;
  CreatedBpffs& out = created != nullptr ? *created : scratch;
  out.bpffs = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Error::system("--ebpf-bpffs-path " + path, errno);
    KT_TRY(makeDirs(path, out.dirs).context("--ebpf-bpffs-path"));
  } else if (!S_ISDIR(st.st_mode)) {
    return Error::config("--ebpf-bpffs-path " + quoteForMessage(path) + " is not a directory");
  }
  if (isBpffs(path)) return okStatus();
  KT_ASSIGN_OR_RETURN(bool empty, isEmptyDir(path));
  if (!empty) {
    return Error(ErrorKind::kUnsupported, "--ebpf-bpffs-path " + quoteForMessage(path) +
                                              " is not a bpf file system and not empty")
        .hint("pass a bpffs mount (usually /sys/fs/bpf) or an empty directory to mount one on");
  }
  if (::mount("bpf", path.c_str(), "bpf", 0, "mode=0700") != 0) {
    int err = errno;
    return Error::system("mounting a bpf file system on " + path, err)
        .hint("mounting needs CAP_SYS_ADMIN; or mount the host's /sys/fs/bpf into the container");
  }
  spdlog::info("mounted a bpf file system on {}", path);
  out.mounted = true;
  return okStatus();
}

}  // namespace kt::backend::ebpf
