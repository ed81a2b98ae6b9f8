#include "cni/netns_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace kt::cni {

namespace {

Status makeDirs(const std::string& dir) {
  std::string partial;
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      partial = dir.substr(0, pos);
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
        return Error::system("creating " + partial, errno);
      }
    }
  }
  return okStatus();
}

}  // namespace

Result<NetnsLock> NetnsLock::acquire(const std::string& lockDir, const std::string& netnsPath,
                                     std::chrono::milliseconds timeout) {
  struct stat ns {};
  if (::stat(netnsPath.c_str(), &ns) != 0) return Error::system("stat " + netnsPath, errno);
  KT_TRY(makeDirs(lockDir));
  std::string path =
      lockDir + "/netns-" + std::to_string(ns.st_dev) + "-" + std::to_string(ns.st_ino) + ".lock";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    sys::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::system("opening lock file " + path, errno);
    // Poll with LOCK_NB so the wait is bounded; holders keep the lock for one install (well
    // under a second), so a 20 ms pause costs little.
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return Error::system("locking " + path, errno);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return Error(ErrorKind::kTransient, "another kuma-cni invocation holds " + path)
            .hint("a previous call for this pod is still running; the runtime will retry");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    struct stat held {
    }, now{};
    if (::fstat(fd.get(), &held) != 0) return Error::system("fstat " + path, errno);
    if (::stat(path.c_str(), &now) == 0 && now.st_ino == held.st_ino && now.st_dev == held.st_dev) {
      return NetnsLock(std::move(fd), path);
    }
    // The previous holder unlinked the file after we opened it: lock the new one.
  }
}

void NetnsLock::removeFile() {
  if (fd_) ::unlink(path_.c_str());
}

}  // namespace kt::cni
