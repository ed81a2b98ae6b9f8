// One run at a time per network namespace: installs, verifies and uninstalls that target the
// same namespace (a pod started twice, a CNI runtime retrying ADD while the first call still
// runs, kuma-init next to a debugging kumactl) serialize on this lock, so every run reads the
// kernel state, computes its change and applies it without another run changing the state in
// between. Without it two runs both see "nothing installed" and the second one fails with
// "chain already exists" or leaves duplicate rules.
//
// The lock is an flock() on <dir>/netns-<dev>-<inode>.lock, named by the device and inode of
// the namespace file (the nsfs inode identifies the namespace whatever path it is mounted at).
// The file is not the namespace file itself: in CNI mode the iptables tools use that file as
// their xtables lock (Kuma's XTABLES_LOCKFILE=<netns path>), and our own iptables-restore would
// then wait for the lock its parent holds.
//
// The directory is private to us: created 0700, and used only when it is a real directory (not
// a symbolic link) owned by our effective uid that nobody else may write to; the lock file is
// opened relative to it with O_NOFOLLOW and used only when it is a regular file of ours with
// no access for others. A directory or file planted by someone else (a symbolic link at the
// predictable name, a file another user owns and keeps locked) is refused at once with an
// error naming it: never followed, never waited on, and never a reason to run unserialized.
//
// Lifetime: the holder unlinks the file before it lets go, so files do not pile up; acquire()
// therefore checks after locking that the path still names the file it locked, and retries if
// not. The descriptor is deliberately inherited by child processes (no O_CLOEXEC): if the run
// is killed while an iptables-restore it started is still working, that orphan keeps the
// namespace locked until it exits, and the next run cannot read a state that is about to
// change. (The file of a killed run stays behind until the next run in that namespace.)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "sys/fd.h"

namespace kt::sys {

struct NetnsLockOptions {
  // The namespace to lock: a namespace file (/var/run/netns/NAME, /proc/PID/ns/net); empty =
  // the calling thread's current network namespace.
  std::string netnsPath;
  // Where the lock file lives (created if missing); empty = the first usable directory of
  // lockDirectories().
  std::string directory;
  // How long to wait for another holder before giving up.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

class NetnsLock {
 public:
  // Blocks until the lock is held. Errors: kTransient when another holder kept it for
  // `timeout` (the message names the file and, when the kernel tells, the holder's pid);
  // kPermission when the directory or the file is not ours (see above); kUnsupported when no
  // candidate directory can hold a lock file (each reason listed); others when the namespace
  // cannot be identified.
  static Result<NetnsLock> acquire(const NetnsLockOptions& opts = {});

  NetnsLock(NetnsLock&& o) noexcept = default;
  NetnsLock& operator=(NetnsLock&& o) noexcept;
  NetnsLock(const NetnsLock&) = delete;
  NetnsLock& operator=(const NetnsLock&) = delete;
  // Unlinks the file while still holding the lock, then releases it.
  ~NetnsLock();

  const std::string& path() const { return path_; }

 private:
  NetnsLock(Fd dir, Fd fd, std::string name, std::string path)
      : dir_(std::move(dir)), fd_(std::move(fd)), name_(std::move(name)), path_(std::move(path)) {}
  void release();

  Fd dir_;  // the lock directory: the file is unlinked relative to it
  Fd fd_;
  std::string name_;
  std::string path_;
};

// A private directory of ours for lock files, open (O_DIRECTORY | O_NOFOLLOW).
struct LockDir {
  std::string path;
  Fd fd;
};

// Opens `path` as a private lock directory, creating it with mode 0700 when it is missing (its
// parent must exist). Errors: kPermission when it is a symbolic link, not a directory, not
// owned by our effective uid, or writable by group or others; system errors (EROFS, EACCES,
// ENOENT) when it cannot be created or opened.
Result<LockDir> openPrivateDir(const std::string& path);

// The first candidate of lockDirectories() (or `explicitDir` alone when not empty) that
// openPrivateDir() accepts and that is writable. A candidate that cannot be created or written
// is skipped; one that exists but is not private is an error (kPermission), not skipped:
// someone planted it. kUnsupported when no candidate works, listing each reason.
Result<LockDir> openLockDirectory(const std::string& explicitDir);

// Opens the file `name` in `dir` for locking, creating it with mode 0600: never through a
// symbolic link (O_NOFOLLOW), and only when it is a regular file owned by our effective uid
// with no access for group or others (kPermission otherwise). `inheritable`: leave O_CLOEXEC
// off so child processes keep the descriptor (see the header comment).
Result<Fd> openPrivateFile(const LockDir& dir, const std::string& name, bool inheritable);

// The default lock directories, in order of preference: /run/kuma-tproxy (the node, or a
// container with a writable /run), then kuma-tproxy-<uid> inside the directory of
// $XTABLES_LOCKFILE (Kuma's init container runs with a read-only root filesystem and
// XTABLES_LOCKFILE=/tmp/xtables.lock on an emptyDir), inside $TMPDIR and inside /tmp. The
// fallbacks live in shared, often world-writable directories, hence a private subdirectory per
// uid rather than files next to everybody else's. Runs in the same mount namespace and
// environment pick the same directory; runs that see different filesystems (a pod's init
// container and the node's CNI plugin) do not serialize with each other. Arguments are the
// variables' values (nullptr = unset) and the effective uid.
std::vector<std::string> lockDirectories(const char* xtablesLockFile, const char* tmpDir,
                                         uid_t uid);

// "netns-<dev>-<inode>.lock": the same name the CNI plugin's lock uses.
std::string lockFileName(dev_t dev, ino_t ino);

}  // namespace kt::sys
