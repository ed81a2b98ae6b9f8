#include "support/env.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "backend/ebpf/host.h"
#include "backend/ebpf/pins.h"
#include "sys/exec.h"

namespace kt::ebpftest {

namespace {

std::atomic<int> gCounter{0};

// Child side of placing a process: cgroup first (host mount view), then namespace, then uid.
bool placeSelf(const Place& place) {
  if (!place.cgroupDir.empty()) {
    int fd = ::open((place.cgroupDir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string pid = std::to_string(::getpid());
    bool ok = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
    ::close(fd);
    if (!ok) return false;
  }
  if (!place.netnsPath.empty()) {
    int fd = ::open(place.netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) return false;
    ::close(fd);
  }
  if (place.uid != 0) {
    if (::setgroups(0, nullptr) != 0) return false;
    if (::setresgid(place.uid, place.uid, place.uid) != 0) return false;
    if (::setresuid(place.uid, place.uid, place.uid) != 0) return false;
  }
  return true;
}

bool waitReadable(int fd, int timeoutMs) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeoutMs) > 0;
}

}  // namespace

std::string uniqueName(const std::string& tag) {
  return "kt-ebpf-" + std::to_string(::getpid()) + "-" + std::to_string(gCounter++) + "-" + tag;
}

Status ip(const std::vector<std::string>& args) {
  KT_ASSIGN_OR_RETURN(std::string path, sys::findExecutable("ip"));
  sys::ExecRequest req;
  req.path = path;
  req.args = args;
  req.timeout = std::chrono::seconds(20);
  KT_ASSIGN_OR_RETURN(auto r, sys::run(req));
  if (!r.success()) return Error::runtime(sys::commandLine(path, args) + ": " + r.describe());
  return okStatus();
}

Result<std::unique_ptr<PodNet>> PodNet::make(uint8_t net, bool ipv6) {
  auto p = std::unique_ptr<PodNet>(new PodNet());
  KT_ASSIGN_OR_RETURN(p->pod_, Netns::make("ebpf-pod"));
  KT_ASSIGN_OR_RETURN(p->peer_, Netns::make("ebpf-peer"));
  const std::string pod = p->pod_->name(), peer = p->peer_->name();
  KT_TRY(ip(
      {"-n", pod, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", peer}));
  std::string n = std::to_string(net);
  p->podV4 = *IpAddress::parse("10." + n + ".0.2");
  p->peerV4 = *IpAddress::parse("10." + n + ".0.1");
  p->podV6 = *IpAddress::parse("fd" + n + "::2");
  p->peerV6 = *IpAddress::parse("fd" + n + "::1");
  for (const auto& [ns, self] :
       {std::pair{pod, p->podV4.str()}, std::pair{peer, p->peerV4.str()}}) {
    KT_TRY(ip({"-n", ns, "addr", "add", self + "/24", "dev", "eth0"}));
    KT_TRY(ip({"-n", ns, "link", "set", "lo", "up"}));
    KT_TRY(ip({"-n", ns, "link", "set", "eth0", "up"}));
  }
  if (ipv6) {
    KT_TRY(ip({"-n", pod, "-6", "addr", "add", p->podV6.str() + "/64", "dev", "eth0", "nodad"}));
    KT_TRY(ip({"-n", peer, "-6", "addr", "add", p->peerV6.str() + "/64", "dev", "eth0", "nodad"}));
  } else {
    KT_TRY(ip({"-n", pod, "-6", "addr", "flush", "dev", "eth0"}));
  }
  return p;
}

Result<std::unique_ptr<ScratchCgroup>> ScratchCgroup::make() {
  auto mounts = backend::ebpf::cgroup2Mounts();
  if (mounts.empty()) return Error(ErrorKind::kUnsupported, "no cgroup v2 mounted");
  auto c = std::make_unique<ScratchCgroup>();
  c->path_ = mounts.front() + "/" + uniqueName("cg");
  if (::mkdir(c->path_.c_str(), 0755) != 0) {
    return Error::system("mkdir " + c->path_, errno);
  }
  return c;
}

ScratchCgroup::~ScratchCgroup() {
  // Killed processes leave the cgroup asynchronously; retry briefly.
  for (int i = 0; i < 200; ++i) {
    if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<std::unique_ptr<ScratchBpffs>> ScratchBpffs::make(bool readOnly) {
  auto b = std::make_unique<ScratchBpffs>();
  b->path_ = "/tmp/" + uniqueName("bpffs");
  if (::mkdir(b->path_.c_str(), 0700) != 0) return Error::system("mkdir " + b->path_, errno);
  if (::mount("bpf", b->path_.c_str(), "bpf", readOnly ? MS_RDONLY : 0, "mode=0700") != 0) {
    int err = errno;
    ::rmdir(b->path_.c_str());
    return Error::system("mounting bpffs on " + b->path_, err);
  }
  return b;
}

ScratchBpffs::~ScratchBpffs() {
  for (const auto& dir : backend::ebpf::allLayoutDirs(path_)) {
    (void)backend::ebpf::removePinTree(dir, /*detachLinks=*/true);
  }
  ::umount2(path_.c_str(), MNT_DETACH);
  ::rmdir(path_.c_str());
}

Result<std::unique_ptr<Proc>> Proc::start(const Place& place,
                                          std::function<int(int readyFd)> body) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error::system("pipe", errno);
  pid_t pid = ::fork();
  if (pid < 0) return Error::system("fork", errno);
  if (pid == 0) {
    ::close(pipefd[0]);
    if (!placeSelf(place)) ::_exit(120);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setresuid, which clears it
    ::_exit(body(pipefd[1]));
  }
  ::close(pipefd[1]);
  auto proc = std::unique_ptr<Proc>(new Proc());
  proc->pid_ = pid;
  bool ready = waitReadable(pipefd[0], 5000);
  char c = 0;
  bool gotByte = ready && ::read(pipefd[0], &c, 1) == 1;
  ::close(pipefd[0]);
  if (!gotByte) return Error::runtime("test process " + std::to_string(pid) + " did not start");
  return proc;
}

Proc::~Proc() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

Result<std::string> runIn(const Place& place, std::function<std::string()> body) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error::system("pipe", errno);
  pid_t pid = ::fork();
  if (pid < 0) return Error::system("fork", errno);
  if (pid == 0) {
    ::close(pipefd[0]);
    if (!placeSelf(place)) {
      const char msg[] = "error: placing the test process failed";
      (void)!::write(pipefd[1], msg, sizeof msg - 1);
      ::_exit(120);
    }
    std::string out = body();
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::write(pipefd[1], out.data() + off, out.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  char buf[512];
  while (std::chrono::steady_clock::now() < deadline) {
    if (!waitReadable(pipefd[0], 100)) continue;
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

std::string endpoint(const IpAddress& a, uint16_t port) {
  if (a.family == Family::kV6) return "[" + a.str() + "]:" + std::to_string(port);
  return a.str() + ":" + std::to_string(port);
}

}  // namespace kt::ebpftest
