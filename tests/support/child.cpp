#include "support/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace kt::testing {

namespace {

constexpr int kSetupFailed = 120;

}  // namespace

Result<std::string> runInChild(const std::function<std::string()>& body,
                               std::chrono::milliseconds limit,
                               const std::function<bool()>& setup) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::system("pipe", errno);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Error::system("fork", err);
  }
  if (pid == 0) {
    ::close(fds[0]);
    if (setup && !setup()) ::_exit(kSetupFailed);
    std::string out = body();
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool finished = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) {
      finished = true;  // EOF: the child exited (or closed its end)
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!finished) {
    return Error::runtime("the test's child process " + std::to_string(pid) +
                          " did not finish within " + std::to_string(limit.count()) + " ms");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kSetupFailed) {
    return Error::runtime("setting up the test's child process " + std::to_string(pid) + " failed");
  }
  return out;
}

}  // namespace kt::testing
