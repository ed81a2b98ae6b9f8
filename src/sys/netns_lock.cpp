#include "sys/netns_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::sys {

namespace {

constexpr const char* kRunDir = "/run/kuma-tproxy";

Status makeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    int err = errno;
    return Error::system("creating " + dir, err);
  }
  return okStatus();
}

// Opens (creating) the lock file `name` in `dir`.
Result<Fd> openIn(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  // No O_CLOEXEC: see the header (orphaned tools keep the namespace locked).
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW, 0600));  // NOLINT(android-cloexec-open)
  if (!fd) {
    int err = errno;
    return Error::system("opening " + path, err);
  }
  return fd;
}

// The process that took the flock on (dev, ino), from /proc/locks: "pid N (comm)", "pid N,
// which has exited (a program it started still holds the lock)", or "" when not listed.
std::string describeHolder(dev_t dev, ino_t ino) {
  std::ifstream locks("/proc/locks");
  std::string line;
  // "1: FLOCK  ADVISORY  WRITE 4321 00:1a:98765 0 EOF"; the device is major:minor in hex.
  std::ostringstream key;
  key << std::hex;
  key.width(2);
  key.fill('0');
  key << major(dev) << ':';
  key.width(2);
  key << minor(dev) << ':' << std::dec << ino;
  while (std::getline(locks, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;)
      w.push_back(x);
    auto flock = std::find(w.begin(), w.end(), "FLOCK");
    if (flock == w.end() || w.end() - flock < 5 || flock[4] != key.str()) continue;
    const std::string& pid = flock[3];
    std::ifstream comm("/proc/" + pid + "/comm");
    std::string name;
    if (std::getline(comm, name)) return "pid " + pid + " (" + name + ")";
    return "pid " + pid + ", which has exited (a program it started still holds the lock)";
  }
  return {};
}

}  // namespace

std::vector<std::string> lockDirectories(const char* xtablesLockFile, const char* tmpDir) {
  std::vector<std::string> dirs{kRunDir};
  auto add = [&](std::string d) {
    while (d.size() > 1 && d.back() == '/')
      d.pop_back();
    if (d.empty() || d[0] != '/') return;  // relative paths depend on the working directory
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(std::move(d));
  };
  if (xtablesLockFile) {
    std::string f(xtablesLockFile);
    auto slash = f.rfind('/');
    if (slash != std::string::npos) add(slash == 0 ? "/" : f.substr(0, slash));
  }
  if (tmpDir) add(tmpDir);
  add("/tmp");
  return dirs;
}

std::string lockFileName(dev_t dev, ino_t ino) {
  return "netns-" + std::to_string(dev) + "-" + std::to_string(ino) + ".lock";
}

Result<NetnsLock> NetnsLock::acquire(const NetnsLockOptions& opts) {
  std::string nsPath = opts.netnsPath.empty() ? "/proc/thread-self/ns/net" : opts.netnsPath;
  struct stat ns {};
  if (::stat(nsPath.c_str(), &ns) != 0) {
    int err = errno;
    return Error::system("identifying network namespace " + nsPath, err);
  }
  const std::string name = lockFileName(ns.st_dev, ns.st_ino);

  // The directory: the first candidate where the file can be opened. A run with a read-only
  // /run (kuma-init) falls through to /tmp; every run in the same environment lands on the
  // same directory.
  std::string dir;
  std::vector<std::string> candidates;
  if (opts.directory.empty()) {
    candidates = lockDirectories(std::getenv("XTABLES_LOCKFILE"), std::getenv("TMPDIR"));
  } else {
    candidates = {opts.directory};
  }
  std::vector<std::string> problems;
  Fd fd;
  for (const auto& d : candidates) {
    // Only our own directories are created; /tmp and $TMPDIR must exist already.
    if (d == kRunDir || d == opts.directory) {
      if (auto s = makeDir(d); !s) {
        problems.push_back(s.error().message());
        continue;
      }
    }
    auto opened = openIn(d, name);
    if (opened) {
      fd = std::move(*opened);
      dir = d;
      break;
    }
    problems.push_back(opened.error().message());
  }
  if (!fd) {
    return Error(ErrorKind::kUnsupported,
                 "no directory can hold the lock file of this network namespace: " +
                     join(problems, "; "))
        .hint(
            "give the container a writable /tmp (an emptyDir volume), as Kuma's init "
            "container has");
  }

  const std::string path = dir + "/" + name;
  const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  auto pause = std::chrono::milliseconds(1);
  bool announced = false;
  for (;;) {
    // LOCK_NB in a loop bounds the wait; runs hold the lock for one install (milliseconds
    // to a few hundred), so the pause stays short.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      struct stat held {
      }, now{};
      if (::fstat(fd.get(), &held) != 0) {
        int err = errno;
        return Error::system("fstat " + path, err);
      }
      if (::stat(path.c_str(), &now) == 0 && now.st_ino == held.st_ino &&
          now.st_dev == held.st_dev) {
        spdlog::debug("holding the lock of this network namespace ({})", path);
        return NetnsLock(std::move(fd), path);
      }
      // The previous holder unlinked the file after we opened it: lock the current one.
      KT_ASSIGN_OR_RETURN(fd, openIn(dir, name));
      continue;
    }
    int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) return Error::system("locking " + path, err);
    bool late = std::chrono::steady_clock::now() >= deadline;
    std::string holder;
    if (late || !announced) {  // /proc/locks is read for messages only, not on every poll
      struct stat st {};
      if (::fstat(fd.get(), &st) == 0) holder = describeHolder(st.st_dev, st.st_ino);
    }
    if (late) {
      return Error(ErrorKind::kTransient,
                   "another run holds the lock of this network namespace (" + path +
                       (holder.empty() ? "" : ", taken by " + holder) + ") for more than " +
                       std::to_string(opts.timeout.count() / 1000) + " s")
          .hint(
              "another kuma-tproxy install or uninstall is working on this namespace; wait "
              "for it or stop it, then run again");
    }
    if (!announced) {
      spdlog::info("waiting for the lock of this network namespace ({}{})", path,
                   holder.empty() ? "" : ", held by " + holder);
      announced = true;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

NetnsLock& NetnsLock::operator=(NetnsLock&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::move(o.fd_);
    path_ = std::move(o.path_);
  }
  return *this;
}

NetnsLock::~NetnsLock() {
  release();
}

void NetnsLock::release() {
  if (!fd_) return;
  // Unlink first, while the lock is still ours: a waiter that locks the unlinked file notices
  // and retries on a fresh one (see acquire).
  ::unlink(path_.c_str());
  fd_.reset();
}

}  // namespace kt::sys
