#include "support/env.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>

#include "backend/ebpf/pins.h"
#include "place/placement.h"
#include "support/child.h"
#include "sys/exec.h"

namespace kt::ebpftest {

namespace {

std::atomic<int> gCounter{0};

// Child side of placing a process (place/placement.h): cgroup first (host mount view), then
// namespace, then uid.
bool placeSelf(const Place& place) {
  e2e::Placement p{place.cgroupDir, place.netnsPath, std::nullopt, std::nullopt};
  if (place.uid != 0) p.uid = place.uid;
  return e2e::joinCgroupAndNetns(p).ok() && e2e::dropPrivileges(p).ok();
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

Result<std::unique_ptr<ScratchCgroup>> scratchCgroup() {
  return ScratchCgroup::make(uniqueName("cg"));
}

Result<std::unique_ptr<ScratchBpffs>> scratchBpffs(bool readOnly) {
  return ScratchBpffs::make(uniqueName("bpffs"), readOnly, [](const std::string& path) {
    for (const auto& dir : backend::ebpf::allLayoutDirs(path)) {
      (void)backend::ebpf::removePinTree(dir, /*detachLinks=*/true);
    }
  });
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
  return testing::runInChild(body, std::chrono::seconds(15), [&] { return placeSelf(place); });
}

std::string endpoint(const IpAddress& a, uint16_t port) {
  if (a.family == Family::kV6) return "[" + a.str() + "]:" + std::to_string(port);
  return a.str() + ":" + std::to_string(port);
}

}  // namespace kt::ebpftest
