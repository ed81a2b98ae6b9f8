// The node installer (`kuma-tproxy cni-install`, the DaemonSet's main process).
//
// install():   copies the plugin binary into each host CNI bin directory that exists (at least
//              one must work), writes the plugin's kubeconfig (0600), then either chains our
//              entry into the primary network configuration (chained mode; waits for it to
//              appear) or writes our own configuration file (standalone, e.g. for Multus).
// reconcile(): puts the chain back when another component rewrote or replaced the file; does
//              nothing (and writes nothing) when it is intact, so our own writes cannot start a
//              loop.
// uninstall(): removes our entry from every file we chained into (a wrapped plain .conf gets
//              its original file back byte for byte), the kubeconfig and the binaries.
//
// A symbolic link as the primary configuration (a primary CNI that keeps its file elsewhere and
// links it into the directory) is edited at its target and the link is kept; removal restores
// the target's text. The target must resolve, link by link, to a regular file inside the
// configuration directory's parent (CNI_NET_DIR's parent, e.g. /etc/cni, as mounted); absolute
// link targets are host paths and are mapped through the mount. Anything else is refused with
// an error naming the link, never followed outside.
//
// Chaining a plain .conf: libcni only chains conflists, so X.conf becomes X.conflist holding
// the original plugin and ours, and X.conf is renamed to X.conf.kuma-cni-orig (an extension no
// runtime loads) so that uninstall can restore it exactly.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "cni/install/install_config.h"

namespace kt::cni {

inline constexpr const char* kBackupSuffix = ".kuma-cni-orig";

class Installer {
 public:
  // Validates the network configuration template (JSON, type kuma-cni, no token placeholder).
  static Result<Installer> make(InstallConfig cfg);

  Status install();
  Status reconcile();
  // Rewrites the kubeconfig when the token or CA changed.
  Status refreshKubeconfig();
  Status uninstall();

  const InstallConfig& config() const { return cfg_; }

 private:
  Installer(InstallConfig cfg, nlohmann::ordered_json plugin)
      : cfg_(std::move(cfg)), plugin_(std::move(plugin)) {}

  Status installBinaries();
  // The configuration file the runtime uses (first valid one in name order, or CNI_CONF_NAME);
  // empty when there is none yet.
  Result<std::string> findPrimary() const;
  Status chainInto(const std::string& path);
  Status writeStandalone();
  Status unchainFile(const std::string& path);
  // The file to read and edit for the configuration `path`: `path` itself, or the regular file
  // its symbolic link(s) resolve to (see the header comment). kConfig errors for a link that
  // leads elsewhere; a system error (ENOENT, ...) when `path` cannot be inspected.
  Result<std::string> resolveConf(const std::string& path) const;
  // readFile() of resolveConf(path).
  Result<std::string> readConf(const std::string& path) const;

  InstallConfig cfg_;
  nlohmann::ordered_json plugin_;   // our entry for a conflist (template without cniVersion)
  std::set<std::string> touched_;   // files we chained into (mounted paths)
  std::set<std::string> binaries_;  // plugin copies we wrote
};

}  // namespace kt::cni
