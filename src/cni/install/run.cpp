// `kuma-tproxy cni-install`: the installer's process life cycle.
//
// Exit codes (docs/cni.md): 0 stopped by a signal after removing everything (or installed with
// SLEEP=false); 1 invalid environment; 2 invalid CNI_LOG_LEVEL; 3 installing failed; 4 the
// readiness file could not be written; 5 the watch loop failed; 6 removal at shutdown was
// incomplete.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <spdlog/spdlog.h>

#include "app/logging.h"
#include "cni/entry.h"
#include "cni/files.h"
#include "cni/install/installer.h"
#include "sys/fd.h"

namespace kt::cni {

namespace {

using Clock = std::chrono::steady_clock;

enum Exit : int {
  kExitOk = 0,
  kExitEnv = 1,
  kExitLogLevel = 2,
  kExitInstall = 3,
  kExitReady = 4,
  kExitLoop = 5,
  kExitCleanup = 6,
};

Status touch(const std::string& path) {
  return writeFileAtomic(path, "", 0644);
}

// Runs until a termination signal: re-chains on file changes (inotify) and every
// checkInterval (in case inotify misses a change, e.g. on some bind mounts), refreshes the
// kubeconfig every tokenRefreshInterval. Returns the signal number or an error.
Result<int> watch(Installer& installer, int signalFd) {
  const auto& cfg = installer.config();
  sys::Fd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify) return Error::system("inotify_init1", errno);
  if (::inotify_add_watch(
          inotify.get(), cfg.mountedCniNetDir.c_str(),
          IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY) < 0) {
    return Error::system("watching " + cfg.mountedCniNetDir, errno);
  }
  auto nextCheck = Clock::now() + cfg.checkInterval;
  auto nextRefresh = Clock::now() + cfg.tokenRefreshInterval;
  bool ready = true;
  for (;;) {
    auto wake = std::min(nextCheck, nextRefresh);
    auto waitMs = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
    pollfd fds[2] = {{signalFd, POLLIN, 0}, {inotify.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::max<int64_t>(0, waitMs.count())));
    if (n < 0 && errno != EINTR) return Error::system("poll", errno);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      signalfd_siginfo info{};
      if (::read(signalFd, &info, sizeof info) == sizeof info) {
        return static_cast<int>(info.ssi_signo);
      }
    }
    bool changed = false;
    if (n > 0 && (fds[1].revents & POLLIN)) {
      char buf[8192];
      while (::read(inotify.get(), buf, sizeof buf) > 0) {
      }
      changed = true;
    }
    auto now = Clock::now();
    if (changed || now >= nextCheck) {
      nextCheck = now + cfg.checkInterval;
      auto s = installer.reconcile();
      if (!s) {
        spdlog::error("keeping kuma-cni chained: {}", s.error().message());
        // Not ready while the chain is broken: the node taint controller keeps pods away.
        if (ready) (void)removeFile(cfg.readyFile);
        ready = false;
      } else if (!ready) {
        if (auto t = touch(cfg.readyFile); t) ready = true;
      }
    }
    if (now >= nextRefresh) {
      nextRefresh = now + cfg.tokenRefreshInterval;
      if (auto s = installer.refreshKubeconfig(); !s) {
        spdlog::error("refreshing the plugin kubeconfig: {}", s.error().message());
      }
    }
  }
}

}  // namespace

int runInstaller() {
  if (auto s = app::setupLogging({}); !s) return kExitLogLevel;
  auto cfg = installConfigFromEnv(processEnv());
  if (!cfg) {
    spdlog::error("cni-install: {}", cfg.error().message());
    return kExitEnv;
  }
  if (auto s = app::setupLogging({cfg->logLevel, "text", ""}); !s) {
    spdlog::error("CNI_LOG_LEVEL: {}", s.error().message());
    return kExitLogLevel;
  }
  // Block the termination signals before anything is installed, so a signal arriving during
  // install is handled by the cleanup below instead of killing us half-way.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT})
    sigaddset(&mask, sig);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
    spdlog::error("blocking signals: {}", std::strerror(errno));
    return kExitLoop;
  }
  sys::Fd signalFd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signalFd) {
    spdlog::error("signalfd: {}", std::strerror(errno));
    return kExitLoop;
  }

  auto installer = Installer::make(*cfg);
  if (!installer) {
    spdlog::error("cni-install: {}", installer.error().message());
    return kExitEnv;
  }
  auto cleanup = [&](int code) -> int {
    (void)removeFile(cfg->readyFile);
    if (auto s = installer->uninstall(); !s) {
      spdlog::error("{}", s.error().message());
      return kExitCleanup;
    }
    return code;
  };
  if (auto s = installer->install(); !s) {
    spdlog::error("installing kuma-cni: {}{}", s.error().message(),
                  s.error().hint().empty() ? "" : " (hint: " + s.error().hint() + ")");
    int code = cleanup(kExitInstall);
    return code == kExitCleanup ? kExitCleanup : kExitInstall;
  }
  if (auto s = touch(cfg->readyFile); !s) {
    spdlog::error("writing the readiness file: {}", s.error().message());
    cleanup(kExitReady);
    return kExitReady;
  }
  spdlog::info("kuma-cni is installed; readiness file {}", cfg->readyFile);
  if (!cfg->sleep) return kExitOk;

  auto stopped = watch(*installer, signalFd.get());
  if (!stopped) {
    spdlog::error("watch loop: {}", stopped.error().message());
    int code = cleanup(kExitLoop);
    return code == kExitCleanup ? kExitCleanup : kExitLoop;
  }
  spdlog::info("received signal {} ({}); removing kuma-cni from this node", *stopped,
               ::strsignal(*stopped));
  return cleanup(kExitOk);
}

}  // namespace kt::cni

namespace kt::cni {

int runReadyCheck() {
  // The same variables as the installer's, so the probe looks where the installer writes.
  auto cfg = installConfigFromEnv(processEnv());
  if (!cfg) {
    spdlog::error("cni-ready: {}", cfg.error().message());
    return 1;
  }
  if (::access(cfg->readyFile.c_str(), F_OK) != 0) {
    spdlog::error(
        "cni-ready: {} does not exist: the installer has not finished, or the CNI "
        "chain is broken and being repaired (see the installer's log)",
        cfg->readyFile);
    return 1;
  }
  return 0;
}

}  // namespace kt::cni
