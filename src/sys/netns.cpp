#include "sys/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <spdlog/spdlog.h>

namespace kt::sys {

Result<std::unique_ptr<NetnsGuard>> NetnsGuard::enter(const std::string& path) {
  // A no-op guard holds no namespace and never calls setns: dry-run works without privileges.
  if (path.empty()) return std::unique_ptr<NetnsGuard>(new NetnsGuard(Fd()));
  Fd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) return Error::system("opening the current network namespace", errno);

  Fd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) {
    int err = errno;
    return Error::system("opening network namespace " + path, err)
        .hint(
            "pass the path of a network namespace file such as /var/run/netns/NAME or "
            "/proc/PID/ns/net");
  }
  // Before setns: its EINVAL for a file that is no namespace would read as a privilege problem.
  // NS_GET_NSTYPE answers ENOTTY for a file outside nsfs and the namespace type otherwise.
  int type = ::ioctl(target.get(), NS_GET_NSTYPE);
  if (type < 0 && errno == ENOTTY) {
    return Error::config(path + " is not a network namespace (not a namespace file at all)")
        .hint(
            "pass the path of a network namespace file such as /var/run/netns/NAME or "
            "/proc/PID/ns/net");
  }
  if (type >= 0 && type != CLONE_NEWNET) {
    return Error::config(path + " is a namespace, but not a network namespace")
        .hint("pass /proc/PID/ns/net, not another /proc/PID/ns/ file");
  }
  if (::setns(target.get(), CLONE_NEWNET) != 0) {
    int err = errno;
    return Error::system("entering network namespace " + path, err)
        .hint("entering a namespace needs CAP_SYS_ADMIN; run as root");
  }
  return std::unique_ptr<NetnsGuard>(new NetnsGuard(std::move(original)));
}

NetnsGuard::~NetnsGuard() {
  if (!original_) return;
  if (::setns(original_.get(), CLONE_NEWNET) != 0) {
    // Cannot throw from a destructor and cannot continue safely in the wrong namespace.
    spdlog::critical("cannot return to the original network namespace: {}", std::strerror(errno));
    std::abort();
  }
}

Result<uint64_t> currentNetnsInode() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) {
    return Error::system("stat /proc/thread-self/ns/net", errno);
  }
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace kt::sys
