// A child process that holds an exclusive flock on a file (as another iptables holds the xtables
// lock) until release() or destruction. Shared by the iptables and fault tests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace kt::testing {

class FlockHolder {
 public:
  // Returns once the child holds the lock (a test failure is recorded when it could not).
  explicit FlockHolder(const std::string& path) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe";
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      int fd = ::open(path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
      char ok = (fd >= 0 && ::flock(fd, LOCK_EX) == 0) ? '1' : '0';
      ssize_t ignored = ::write(ready[1], &ok, 1);
      (void)ignored;
      for (;;)
        ::pause();
    }
    ::close(ready[1]);
    char ok = '0';
    if (pid_ < 0 || ::read(ready[0], &ok, 1) != 1 || ok != '1') {
      ADD_FAILURE() << "could not lock " << path;
    }
    ::close(ready[0]);
  }
  ~FlockHolder() { release(); }
  FlockHolder(const FlockHolder&) = delete;
  FlockHolder& operator=(const FlockHolder&) = delete;

  // Kills the holder and reaps it: when this returns the lock is free.
  void release() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace kt::testing
