// A test container runtime: executes a plugin chain from a conflist the way libcni does.
//
// ADD runs the plugins in order, each getting the list's name and cniVersion and the previous
// plugin's result as prevResult; the final result is cached. CHECK runs them in order with the
// cached result as prevResult. DEL runs them in reverse order with the cached result (when there
// is one) and forgets it on success. Plugins are found by type in the CNI_PATH directories and
// run in the given network namespace (the "node"), through sys::run (no shell).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kt::cni::test {

struct Attachment {
  std::string containerId;
  std::string netns;  // CNI_NETNS ("" for a DEL without namespace)
  std::string ifname = "eth0";
  std::string args;  // CNI_ARGS
};

struct PluginCall {
  std::string type;
  std::string command;
  int exitCode = -1;
  std::string out, err;
  nlohmann::json output;  // parsed stdout (null when empty or not JSON)
};

struct ChainOutcome {
  bool ok = false;
  nlohmann::json result;  // ADD: the final result
  std::vector<PluginCall> calls;
  // The failing call's error object (or the last call's output).
  nlohmann::json error() const;
  std::string describe() const;  // every call with its exit code, stdout and stderr
};

class CniRuntime {
 public:
  CniRuntime(nlohmann::json conflist, std::vector<std::string> cniPath, int nodeNetnsFd);

  ChainOutcome add(const Attachment& a);
  ChainOutcome check(const Attachment& a);
  ChainOutcome del(const Attachment& a);
  // One plugin, one command; `conf` is sent as is (for protocol tests).
  PluginCall invoke(const std::string& type, const std::string& command,
                    const std::string& stdinText, const Attachment& a,
                    std::vector<std::pair<std::string, std::string>> extraEnv = {}) const;

  const std::optional<nlohmann::json>& cachedResult() const { return cached_; }
  // Restores a result cached by an earlier process (kt-cni-run keeps it in a file between calls).
  void setCachedResult(std::optional<nlohmann::json> result) { cached_ = std::move(result); }

 private:
  nlohmann::json pluginConf(const nlohmann::json& plugin,
                            const std::optional<nlohmann::json>& prev) const;
  ChainOutcome run(const Attachment& a, const std::string& command, bool reverse,
                   bool chainResults);

  nlohmann::json conflist_;
  std::vector<std::string> cniPath_;
  int nodeNetnsFd_;
  std::optional<nlohmann::json> cached_;
};

}  // namespace kt::cni::test
