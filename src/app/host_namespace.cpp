#include "app/host_namespace.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace kt::app {

namespace {

namespace fs = std::filesystem;

bool sameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Whether the current network namespace is the host's. Authoritative when /proc/1/ns/net can be
// read (PID 1 of our PID namespace). Some sandboxes refuse that even to root; then a namespace
// that is one of the named ones in `netnsDir` (entered with `ip netns exec`, as tests and
// scripts do) is not the host's, and any other is taken to be.
bool inHostNetns(const std::string& netnsDir) {
  struct stat self {};
  struct stat init {};
  if (::stat("/proc/self/ns/net", &self) != 0) return false;
  if (::stat("/proc/1/ns/net", &init) == 0) return sameFile(self, init);
  std::error_code ec;
  size_t seen = 0;
  for (fs::directory_iterator it(netnsDir, ec), end; !ec && it != end && seen < 100000;
       it.increment(ec), ++seen) {
    struct stat named {};
    if (::stat(it->path().c_str(), &named) == 0 && sameFile(self, named)) return false;
  }
  return true;
}

// The first network configuration file in `dir`, or "".
std::string firstCniConfig(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if ((ext == ".conf" || ext == ".conflist" || ext == ".json") && it->is_regular_file(ec)) {
      return it->path().string();
    }
  }
  return {};
}

size_t countEntries(const std::string& dir, size_t stopAt) {
  std::error_code ec;
  size_t n = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end && n < stopAt; it.increment(ec))
    ++n;
  return n;
}

}  // namespace

NodeNamespaceSigns nodeNamespaceSigns(const std::string& cniConfDir, const std::string& netnsDir,
                                      size_t minNamespaces) {
  std::string reason;
  if (auto conf = firstCniConfig(cniConfDir); !conf.empty()) {
    reason = fmt::format("{} holds a CNI network configuration, {}", cniConfDir, conf);
  } else if (countEntries(netnsDir, minNamespaces) >= minNamespaces) {
    reason = fmt::format("{} holds {} or more named network namespaces", netnsDir, minNamespaces);
  }
  if (reason.empty() || !inHostNetns(netnsDir)) return {};
  return {reason};
}

Status refuseNodeNamespace() {
  auto signs = nodeNamespaceSigns();
  if (signs.reason.empty()) return okStatus();
  return Error::config(
             "refusing to install into the current network namespace: it looks like a "
             "node's (" +
             signs.reason + "); the rules would capture the node's own traffic")
      .hint(
          "give the pod's namespace with --netns PATH, or pass --allow-host-namespace if this "
          "host's own traffic is meant to go through the sidecar");
}

}  // namespace kt::app
