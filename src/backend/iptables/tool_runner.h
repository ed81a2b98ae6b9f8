// Runs the iptables tools: *-save once, *-restore with the xtables lock options and Kuma's retry
// loop, optionally inside the CNI per-exec sandbox. Every run is an execve of a resolved path
// with an argument vector (src/sys/exec.h); rules travel on stdin, never on a command line.
#pragma once

#include <string>

#include "backend/iptables/tools.h"
#include "base/result.h"
#include "config/config.h"
#include "sys/exec.h"

namespace kt::backend::iptables {

struct RunSettings {
  uint32_t waitSeconds = 5;         // legacy restore: --wait=N
  uint32_t waitIntervalMicros = 0;  // legacy restore: --wait-interval=N when > 0
  config::Retry retry;              // restore attempts = 1 + maxRetries
  // CNI mode (kuma.md 6.4): each run gets a private mount namespace with /dev/null over
  // /etc/nsswitch.conf, so that xt_owner's user lookups never reach NSS or PAM from a
  // half-built pod.
  bool sandbox = false;
  // XTABLES_LOCKFILE for the tools; empty = whatever the environment says (iptables itself
  // honors XTABLES_LOCKFILE, default /run/xtables.lock).
  std::string lockFile;
};

// Legacy tools reach the kernel through a raw socket: without CAP_NET_RAW they fail with
// "Permission denied (you must be root)", which does not say what is missing. Succeeds for
// mode kNft (netlink needs CAP_NET_ADMIN only); for kLegacy a kPermission error naming
// CAP_NET_RAW when this process does not have it.
Status requireToolPrivileges(Mode m);

class ToolRunner {
 public:
  explicit ToolRunner(RunSettings s) : s_(std::move(s)) {}

  // `*-save` (all tables): its stdout.
  Result<std::string> save(const Tools& t);
  // `*-restore [--noflush] [--wait=N [--wait-interval=M]]` with `input` on stdin, retried as
  // configured. The error names the tool, the attempt count and its message.
  Status restore(const Tools& t, const std::string& input, bool noflush);

  // The lock file legacy tools use: RunSettings::lockFile, else $XTABLES_LOCKFILE, else
  // iptables' default /run/xtables.lock.
  std::string xtablesLockFile() const;

  // Programs started so far (the benchmark counts them).
  int execs() const { return execs_; }
  int* execCounter() { return &execs_; }

 private:
  Result<sys::ExecResult> run(const std::string& path, std::vector<std::string> args,
                              const std::string& input);
  // Legacy tools: when neither RunSettings::lockFile nor $XTABLES_LOCKFILE names the lock and
  // /run is not writable, use xtables.lock in our private lock directory
  // (sys::openLockDirectory: /tmp/kuma-tproxy-<uid> or the like), created before the tool runs.
  // Errors when no private directory or file can be had.
  Status useWritableLockFile();

  RunSettings s_;
  int execs_ = 0;
};

}  // namespace kt::backend::iptables
