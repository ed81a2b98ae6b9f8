#include "harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "sys/exec.h"

namespace kt::e2e {

using Clock = std::chrono::steady_clock;

namespace {

// Debian 12's glibc declares these in <sys/pidfd.h> without C linkage, so C++ cannot link them:
// call the system calls directly.
int pidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace

Result<std::unique_ptr<Process>> Process::start(const std::string& path,
                                                std::vector<std::string> args,
                                                const std::string& readyLine,
                                                std::chrono::milliseconds readyTimeout) {
  std::string command = sys::commandLine(path, args);
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) return Error::system("pipe2", errno);
  sys::Fd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);

  // Everything the child needs is prepared before fork: it must not allocate.
  std::string argv0 = path.substr(path.rfind('/') + 1);
  std::vector<char*> argv{argv0.data()};
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return Error::system("fork for " + command, errno);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(writeEnd.get(), 1);
    ::signal(SIGPIPE, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  writeEnd.reset();
  sys::Fd pidfd(pidfdOpen(pid));
  if (!pidfd) {
    int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return Error::system("pidfd_open for " + command, err);
  }
  std::unique_ptr<Process> p(new Process(pid, std::move(pidfd), std::move(readEnd), command));
  if (readyLine.empty()) return p;

  std::string seen;
  auto deadline = Clock::now() + readyTimeout;
  while (seen.find(readyLine + "\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      Status s = p->stop();
      return Error::runtime(command + " did not print '" + readyLine + "' within " +
                            std::to_string(readyTimeout.count()) + " ms" +
                            (s ? "" : " (" + s.error().message() + ")"));
    }
    pollfd pfd{p->out_.get(), POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::system("poll", errno);
    if (n == 0) continue;
    char buf[256];
    ssize_t got = ::read(p->out_.get(), buf, sizeof buf);
    if (got <= 0) {
      // stdout closed before the ready line: the process is exiting.
      p->waitExit(std::chrono::seconds(5));
      p->stopped_ = true;  // reported here
      return Error::runtime(command + " exited before it was ready: " + p->describeStatus());
    }
    seen.append(buf, static_cast<size_t>(got));
  }
  return p;
}

Process::~Process() {
  if (stopped_) return;
  if (Status s = stop(); !s) spdlog::error("{}", s.error().message());
}

bool Process::running() const {
  if (reaped_) return false;
  pollfd pfd{pidfd_.get(), POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 0;
}

bool Process::waitExit(std::chrono::milliseconds timeout) {
  if (reaped_) return true;
  pollfd pfd{pidfd_.get(), POLLIN, 0};
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int n = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    break;
  }
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return true;
}

std::string Process::describeStatus() const {
  if (!reaped_) return "still running";
  if (WIFEXITED(status_)) return "exit code " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return std::string("killed by ") + strsignal(WTERMSIG(status_));
  return "unknown status";
}

Status Process::stop(std::chrono::milliseconds grace) {
  stopped_ = true;
  if (!reaped_) {
    bool exitedByItself = !running();
    if (!exitedByItself) pidfdSendSignal(pidfd_.get(), SIGTERM);
    if (!waitExit(grace)) {
      pidfdSendSignal(pidfd_.get(), SIGKILL);
      waitExit(std::chrono::seconds(10));
      return Error::runtime(command_ + " ignored SIGTERM for " + std::to_string(grace.count()) +
                            " ms and was killed");
    }
    if (exitedByItself && !(WIFEXITED(status_) && WEXITSTATUS(status_) == 0)) {
      return Error::runtime(command_ + " ended before it was stopped: " + describeStatus());
    }
  }
  bool clean = (WIFEXITED(status_) && WEXITSTATUS(status_) == 0) ||
               (WIFSIGNALED(status_) && WTERMSIG(status_) == SIGTERM);
  if (!clean) return Error::runtime(command_ + " ended abnormally: " + describeStatus());
  return okStatus();
}

}  // namespace kt::e2e
