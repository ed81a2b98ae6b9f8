#include "harness/names.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "support/scratch_cgroup.h"
#include "sys/exec.h"

namespace kt::e2e {

namespace {

namespace fs = std::filesystem;

// The pid in "kte2e-<pid>-...", if the name is ours.
std::optional<pid_t> ownerPid(std::string_view name) {
  std::string prefix = std::string(kNamePrefix) + "-";
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  name.remove_prefix(prefix.size());
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end == name.data() || pid <= 0) return std::nullopt;
  return pid;
}

bool isDead(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Names in `dir` that belong to a dead run.
std::vector<fs::path> stale(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto pid = ownerPid(e.path().filename().string());
    if (pid && isDead(*pid)) out.push_back(e.path());
  }
  return out;
}

}  // namespace

std::string uniqueName(std::string_view what) {
  static std::atomic<unsigned> counter{0};
  return std::string(kNamePrefix) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++) + "-" + std::string(what);
}

void sweepLeftovers() {
  auto ip = sys::findExecutable("ip");
  for (const auto& ns : stale("/run/netns")) {
    if (!ip) break;
    spdlog::warn("removing network namespace {} left by a dead test run", ns.filename().string());
    auto r = sys::run(
        {*ip, {"netns", "delete", ns.filename().string()}, {}, {}, std::chrono::seconds(30)});
    if (!r || !r->success()) spdlog::warn("could not remove {}", ns.string());
  }
  for (const auto& mnt : stale("/tmp")) {
    spdlog::warn("removing bpffs {} left by a dead test run", mnt.string());
    ::umount2(mnt.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove(mnt, ec);
  }
  if (auto root = testing::findCgroup2Mount()) {
    for (const auto& dir : stale(*root)) {
      spdlog::warn("removing cgroup {} left by a dead test run", dir.string());
      Status s = testing::removeCgroup(dir.string());
      if (!s) spdlog::warn("{}", s.error().message());
    }
  }
}

}  // namespace kt::e2e
