#include "support/scratch_cgroup.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "sys/fd.h"

namespace kt::testing {

namespace {

bool populated(const std::string& dir) {
  std::ifstream in(dir + "/cgroup.events");
  std::string key, value;
  while (in >> key >> value) {
    if (key == "populated") return value != "0";
  }
  return false;
}

}  // namespace

Result<std::string> findCgroup2Mount() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, target, type;
    fields >> source >> target >> type;
    if (type == "cgroup2") return target;
  }
  return Error(ErrorKind::kUnsupported, "no cgroup2 mount in /proc/mounts")
      .hint("mount the cgroup v2 hierarchy, e.g. mount -t cgroup2 none /sys/fs/cgroup/unified");
}

Status removeCgroup(const std::string& dir) {
  {
    sys::Fd kill(::open((dir + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC));
    if (kill && ::write(kill.get(), "1", 1) != 1) {
      return Error::system("writing " + dir + "/cgroup.kill", errno);
    }
  }
  // cgroup.events signals POLLPRI on every change of "populated": wait for it to drop to 0.
  sys::Fd events(::open((dir + "/cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (events && populated(dir)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Error::runtime("processes of cgroup " + dir + " did not exit");
    pollfd p{events.get(), POLLPRI, 0};
    ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return Error::system("removing cgroup " + dir, errno);
  }
  return okStatus();
}

Result<std::unique_ptr<ScratchCgroup>> ScratchCgroup::make(const std::string& name) {
  KT_ASSIGN_OR_RETURN(std::string root, findCgroup2Mount());
  std::string path = root + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0) return Error::system("creating cgroup " + path, errno);
  return std::unique_ptr<ScratchCgroup>(new ScratchCgroup(std::move(path)));
}

ScratchCgroup::~ScratchCgroup() {
  if (Status s = removeCgroup(path_); !s) spdlog::error("{}", s.error().message());
}

}  // namespace kt::testing
