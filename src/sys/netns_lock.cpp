#include "sys/netns_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/strings.h"

namespace kt::sys {

namespace {

constexpr const char* kRunDir = "/run/kuma-tproxy";

Error notPrivate(const std::string& what, const std::string& why) {
  return Error(ErrorKind::kPermission, "refusing " + what + ": " + why)
      .hint("something other than kuma-tproxy created it; remove it (and find out who did)");
}

}  // namespace

Result<LockDir> openPrivateDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    int err = errno;
    return Error::system("creating lock directory " + path, err);
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ELOOP || err == ENOTDIR) {
      // Which of the two the kernel reports for a link opened O_DIRECTORY | O_NOFOLLOW varies;
      // lstat tells (for the message only: the open already refused).
      struct stat st {};
      bool link = ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
      return notPrivate("lock directory " + path,
                        link ? "it is a symbolic link" : "it is not a directory");
    }
    return Error::system("opening lock directory " + path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    int err = errno;
    return Error::system("fstat " + path, err);
  }
  if (st.st_uid != ::geteuid()) {
    return notPrivate("lock directory " + path, "it is owned by uid " + std::to_string(st.st_uid) +
                                                    ", not by uid " + std::to_string(::geteuid()));
  }
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return notPrivate("lock directory " + path,
                      std::string("others may write to it (mode ") + mode + ")");
  }
  return LockDir{path, std::move(fd)};
}

Result<LockDir> openLockDirectory(const std::string& explicitDir) {
  std::vector<std::string> candidates;
  if (explicitDir.empty()) {
    candidates =
        lockDirectories(std::getenv("XTABLES_LOCKFILE"), std::getenv("TMPDIR"), ::geteuid());
  } else {
    candidates = {explicitDir};
  }
  std::vector<std::string> problems;
  for (const auto& d : candidates) {
    auto dir = openPrivateDir(d);
    if (dir) {
      // A directory that exists on a read-only filesystem (an image that ships /run/kuma-tproxy,
      // run with readOnlyRootFilesystem) cannot hold a lock file: the next candidate can.
      if (::faccessat(dir->fd.get(), ".", W_OK, AT_EACCESS) == 0) return dir;
      int err = errno;
      problems.push_back("lock directory " + d + " is not writable: " + std::strerror(err));
      continue;
    }
    if (dir.error().kind() == ErrorKind::kPermission) {
      // A default directory root owns is not ours when we are not root, but nobody planted it
      // either: the next candidate serves. Any other foreign or unsafe directory is refused.
      struct stat st {};
      bool rootsOwn = explicitDir.empty() && ::geteuid() != 0 && ::lstat(d.c_str(), &st) == 0 &&
                      S_ISDIR(st.st_mode) && st.st_uid == 0;
      if (!rootsOwn) return std::move(dir).takeError();
    }
    problems.push_back(dir.error().message());
  }
  return Error(ErrorKind::kUnsupported,
               "no directory can hold the lock files of kuma-tproxy: " + join(problems, "; "))
      .hint(
          "give the container a writable /run or /tmp (an emptyDir volume), as Kuma's init "
          "container has");
}

Result<Fd> openPrivateFile(const LockDir& dir, const std::string& name, bool inheritable) {
  const std::string path = dir.path + "/" + name;
  int flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | (inheritable ? 0 : O_CLOEXEC);
  Fd fd(::openat(dir.fd.get(), name.c_str(), flags, 0600));  // NOLINT(android-cloexec-open)
  if (!fd) {
    int err = errno;
    if (err == ELOOP) return notPrivate("lock file " + path, "it is a symbolic link");
    return Error::system("opening lock file " + path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    int err = errno;
    return Error::system("fstat " + path, err);
  }
  if (!S_ISREG(st.st_mode)) return notPrivate("lock file " + path, "it is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return notPrivate("lock file " + path, "it is owned by uid " + std::to_string(st.st_uid) +
                                               ", not by uid " + std::to_string(::geteuid()));
  }
  if ((st.st_mode & 077) != 0) {
    return notPrivate("lock file " + path, "others may open it");
  }
  return fd;
}

namespace {

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

std::vector<std::string> lockDirectories(const char* xtablesLockFile, const char* tmpDir,
                                         uid_t uid) {
  std::vector<std::string> bases;
  auto add = [&](std::string d) {
    while (d.size() > 1 && d.back() == '/')
      d.pop_back();
    if (d.empty() || d[0] != '/') return;  // relative paths depend on the working directory
    if (std::find(bases.begin(), bases.end(), d) == bases.end()) bases.push_back(std::move(d));
  };
  if (xtablesLockFile) {
    std::string f(xtablesLockFile);
    auto slash = f.rfind('/');
    if (slash != std::string::npos) add(slash == 0 ? "/" : f.substr(0, slash));
  }
  if (tmpDir) add(tmpDir);
  add("/tmp");
  std::vector<std::string> dirs{kRunDir};
  for (const auto& b : bases)
    dirs.push_back((b == "/" ? "" : b) + "/kuma-tproxy-" + std::to_string(uid));
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

  // The directory: the first candidate that is (or can be made) ours. A run with a read-only
  // /run (kuma-init) falls through to /tmp/kuma-tproxy-<uid>; every run in the same
  // environment lands on the same directory.
  KT_ASSIGN_OR_RETURN(LockDir dir, openLockDirectory(opts.directory));
  const std::string path = dir.path + "/" + name;
  // No O_CLOEXEC: see the header (orphaned tools keep the namespace locked).
  KT_ASSIGN_OR_RETURN(Fd fd, openPrivateFile(dir, name, true));

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
      if (::fstatat(dir.fd.get(), name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
          now.st_ino == held.st_ino && now.st_dev == held.st_dev) {
        spdlog::debug("holding the lock of this network namespace ({})", path);
        return NetnsLock(std::move(dir.fd), std::move(fd), name, path);
      }
      // The previous holder unlinked the file after we opened it: lock the current one.
      KT_ASSIGN_OR_RETURN(fd, openPrivateFile(dir, name, true));
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
    dir_ = std::move(o.dir_);
    fd_ = std::move(o.fd_);
    name_ = std::move(o.name_);
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
  ::unlinkat(dir_.get(), name_.c_str(), 0);
  fd_.reset();
  dir_.reset();
}

}  // namespace kt::sys
