#include "place/placement.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "sys/fd.h"

namespace kt::e2e {

namespace {

Status joinCgroup(const std::string& dir) {
  std::string procs = dir + "/cgroup.procs";
  sys::Fd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    return Error::system("opening " + procs, err)
        .hint("pass a directory inside a cgroup v2 mount, as seen from the host");
  }
  // "0" means the writing process itself.
  if (::write(fd.get(), "0", 1) != 1) {
    int err = errno;
    return Error::system("moving pid " + std::to_string(::getpid()) + " into " + dir, err);
  }
  return okStatus();
}

Status enterNetns(const std::string& path) {
  sys::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::system("opening network namespace " + path, errno);
  if (::setns(fd.get(), CLONE_NEWNET) != 0) {
    int err = errno;
    return Error::system("entering network namespace " + path, err).hint("run as root");
  }
  return okStatus();
}

}  // namespace

Status joinCgroupAndNetns(const Placement& p) {
  if (!p.cgroupDir.empty()) KT_TRY(joinCgroup(p.cgroupDir));
  if (!p.netnsPath.empty()) KT_TRY(enterNetns(p.netnsPath));
  return okStatus();
}

Status dropPrivileges(const Placement& p) {
  if (!p.uid) return okStatus();
  gid_t gid = p.gid.value_or(static_cast<gid_t>(*p.uid));
  if (::setgroups(0, nullptr) != 0) return Error::system("setgroups", errno);
  if (::setgid(gid) != 0) return Error::system("setgid " + std::to_string(gid), errno);
  if (::setuid(*p.uid) != 0) return Error::system("setuid " + std::to_string(*p.uid), errno);
  return okStatus();
}

Status armParentDeathSignal(int sig, pid_t originalParent) {
  if (::prctl(PR_SET_PDEATHSIG, sig) != 0) return Error::system("prctl(PR_SET_PDEATHSIG)", errno);
  // The parent may have died before the signal was armed; it would then never come.
  if (::getppid() != originalParent) {
    return Error::runtime("the parent process exited during start-up");
  }
  return okStatus();
}

}  // namespace kt::e2e
