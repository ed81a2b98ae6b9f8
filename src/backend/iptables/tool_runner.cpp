#include "backend/iptables/tool_runner.h"

#include <unistd.h>

#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "sys/capabilities.h"
#include "sys/netns_lock.h"

namespace kt::backend::iptables {

namespace {

constexpr int kSandboxFailedExit = 126;
constexpr const char* kSandboxFailedMessage = "child setup before exec failed";

// Runs in the forked child before execve: system calls only.
bool enterSandbox(void*) {
  if (::unshare(CLONE_NEWNS) != 0) return false;
  // Our mounts must not propagate back to the host's mount namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (::mount("/dev/null", "/etc/nsswitch.conf", nullptr, MS_BIND, nullptr) != 0 &&
      errno != ENOENT) {
    return false;
  }
  return true;
}

std::string baseName(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

Status requireToolPrivileges(Mode m) {
  if (m != Mode::kLegacy) return okStatus();
  KT_ASSIGN_OR_RETURN(bool raw, sys::hasEffectiveCapability(CAP_NET_RAW));
  if (raw) return okStatus();
  return Error(ErrorKind::kPermission,
               "iptables-legacy needs the CAP_NET_RAW capability (its tools talk to the kernel "
               "through a raw socket), which this process does not have")
      .hint(
          "add the NET_RAW capability to the container (Kuma's init container has NET_ADMIN "
          "and NET_RAW), or use --backend iptables-nft or nftables, which need only "
          "CAP_NET_ADMIN");
}

Result<sys::ExecResult> ToolRunner::run(const std::string& path, std::vector<std::string> args,
                                        const std::string& input) {
  sys::ExecRequest req;
  req.path = path;
  req.args = std::move(args);
  req.input = input;
  if (!s_.lockFile.empty()) req.env.emplace_back("XTABLES_LOCKFILE", s_.lockFile);
  if (s_.sandbox) req.childSetup = enterSandbox;
  spdlog::debug("running {}", sys::commandLine(req.path, req.args));
  ++execs_;
  KT_ASSIGN_OR_RETURN(auto res, sys::run(req));
  if (s_.sandbox && res.exitCode == kSandboxFailedExit &&
      res.err.find(kSandboxFailedMessage) != std::string::npos) {
    // Kuma's behaviour: a sandbox that cannot be set up (SELinux, no CAP_SYS_ADMIN) is not
    // fatal; run without it from now on.
    spdlog::warn("cannot set up the private mount namespace for {}; running without it",
                 baseName(path));
    s_.sandbox = false;
    req.childSetup = nullptr;
    ++execs_;
    KT_ASSIGN_OR_RETURN(res, sys::run(req));
  }
  return res;
}

Result<std::string> ToolRunner::save(const Tools& t) {
  KT_TRY(requireToolPrivileges(t.mode).context("reading the rules with " + t.save));
  KT_ASSIGN_OR_RETURN(auto res, run(t.save, {}, {}));
  if (!res.success()) {
    return Error::runtime(sys::commandLine(t.save, {}) + " failed: " + res.describe());
  }
  return std::move(res.out);
}

Status ToolRunner::restore(const Tools& t, const std::string& input, bool noflush) {
  KT_TRY(requireToolPrivileges(t.mode).context("applying rules with " + t.restore));
  std::vector<std::string> args;
  if (noflush) args.emplace_back("--noflush");
  if (t.mode == Mode::kLegacy) {
    args.push_back("--wait=" + std::to_string(s_.waitSeconds));
    if (s_.waitIntervalMicros > 0) {
      args.push_back("--wait-interval=" + std::to_string(s_.waitIntervalMicros));
    }
  }
  if (t.mode == Mode::kLegacy) KT_TRY(useWritableLockFile());
  const uint32_t attempts = s_.retry.maxRetries + 1;
  std::string last;
  for (uint32_t attempt = 1; attempt <= attempts; ++attempt) {
    KT_ASSIGN_OR_RETURN(auto res, run(t.restore, args, input));
    if (res.success()) return okStatus();
    last = res.describe();
    // A lock file that cannot be created will not appear by waiting: fail at once.
    if (last.find("can't open lock file") != std::string::npos) {
      return Error::runtime(sys::commandLine(t.restore, args) + " failed: " + last)
          .hint(
              "set XTABLES_LOCKFILE to a writable path (Kuma's init container uses "
              "/tmp/xtables.lock on an emptyDir)");
    }
    if (attempt == attempts) break;
    spdlog::warn("[{}/{}] {} failed: {}; will try again in {} ms", attempt, attempts,
                 sys::commandLine(t.restore, args), last, s_.retry.sleepBetweenRetries.count());
    std::this_thread::sleep_for(s_.retry.sleepBetweenRetries);
  }
  auto err =
      Error::runtime(sys::commandLine(t.restore, args) + " failed" +
                     (attempts > 1 ? " " + std::to_string(attempts) + " times" : "") + ": " + last);
  if (last.find("xtables lock") != std::string::npos) {
    // iptables' own message does not say which file it waited for; operators need it to find
    // the holder (`fuser FILE`), and XTABLES_LOCKFILE moves it.
    std::string lock = xtablesLockFile();
    return Error(ErrorKind::kTransient, err.message() + " (xtables lock file " + lock + ")")
        .hint("another program holds the xtables lock " + lock +
              "; raise --wait or --max-retries, or find the program holding it (fuser " + lock +
              ")");
  }
  return err;
}

Status ToolRunner::useWritableLockFile() {
  if (!s_.lockFile.empty()) return okStatus();
  const char* env = std::getenv("XTABLES_LOCKFILE");
  if (env && *env) return okStatus();
  // The default /run/xtables.lock cannot be created on a read-only root filesystem (the init
  // container's readOnlyRootFilesystem). Inside a pod's network namespace nobody else takes that
  // lock, so a private one serves the same purpose. It lives in our private lock directory and
  // exists before the tool runs: the tool opens it with O_CREAT and follows symbolic links, so
  // a name in a world-writable directory would let another user choose what root creates.
  if (::access("/run", W_OK) == 0) return okStatus();
  KT_ASSIGN_OR_RETURN(sys::LockDir dir, sys::openLockDirectory(""));
  KT_ASSIGN_OR_RETURN(sys::Fd file, sys::openPrivateFile(dir, "xtables.lock", false));
  s_.lockFile = dir.path + "/xtables.lock";
  spdlog::info("/run is not writable; legacy iptables tools use the lock file {}", s_.lockFile);
  return okStatus();
}

std::string ToolRunner::xtablesLockFile() const {
  if (!s_.lockFile.empty()) return s_.lockFile;
  const char* env = std::getenv("XTABLES_LOCKFILE");
  return env && *env ? env : "/run/xtables.lock";
}

}  // namespace kt::backend::iptables
