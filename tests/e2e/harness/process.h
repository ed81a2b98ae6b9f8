// A background process started and stopped by pid (never by name), for the kt-e2e servers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sys/fd.h"

namespace kt::e2e {

class Process {
 public:
  // Starts `path` with `args` (no shell), stdin from /dev/null, stderr inherited, stdout on a
  // pipe. The child gets SIGTERM if this process dies (PR_SET_PDEATHSIG). When `readyLine` is
  // not empty, waits up to `readyTimeout` for that line on stdout; if it does not come (or the
  // process exits first), the process is killed and the error says how it ended.
  static Result<std::unique_ptr<Process>> start(const std::string& path,
                                                std::vector<std::string> args,
                                                const std::string& readyLine,
                                                std::chrono::milliseconds readyTimeout);
  ~Process();  // stop(); failures are logged
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Whether the process is still running (not yet exited).
  bool running() const;
  // SIGTERM, then SIGKILL after `grace`; reaps it. Idempotent. Returns an error describing an
  // abnormal end (non-zero exit, or a signal other than the SIGTERM we sent).
  Status stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

  const std::string& command() const { return command_; }

 private:
  Process(pid_t pid, sys::Fd pidfd, sys::Fd out, std::string command)
      : pid_(pid), pidfd_(std::move(pidfd)), out_(std::move(out)), command_(std::move(command)) {}
  // Waits until the process exits or the timeout passes; true if it exited (and was reaped).
  bool waitExit(std::chrono::milliseconds timeout);
  std::string describeStatus() const;

  pid_t pid_;
  sys::Fd pidfd_;
  sys::Fd out_;
  std::string command_;
  bool reaped_ = false;
  bool stopped_ = false;  // stop() was called: the destructor has nothing to report
  int status_ = 0;
};

}  // namespace kt::e2e
