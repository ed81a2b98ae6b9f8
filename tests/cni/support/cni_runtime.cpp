#include "cni_runtime.h"

#include <unistd.h>
#include <algorithm>

#include "base/strings.h"
#include "support/enter_netns.h"
#include "sys/exec.h"

namespace kt::cni::test {

using nlohmann::json;

json ChainOutcome::error() const {
  for (const auto& c : calls)
    if (c.exitCode != 0) return c.output;
  return calls.empty() ? json() : calls.back().output;
}

std::string ChainOutcome::describe() const {
  std::string s;
  for (const auto& c : calls) {
    s += c.command + " " + c.type + " -> exit " + std::to_string(c.exitCode) +
         "\n  stdout: " + c.out + "\n  stderr: " + c.err + "\n";
  }
  return s;
}

CniRuntime::CniRuntime(json conflist, std::vector<std::string> cniPath, int nodeNetnsFd)
    : conflist_(std::move(conflist)), cniPath_(std::move(cniPath)), nodeNetnsFd_(nodeNetnsFd) {}

json CniRuntime::pluginConf(const json& plugin, const std::optional<json>& prev) const {
  json conf = plugin;
  conf["name"] = conflist_["name"];
  conf["cniVersion"] = conflist_["cniVersion"];
  if (prev) conf["prevResult"] = *prev;
  return conf;
}

PluginCall CniRuntime::invoke(const std::string& type, const std::string& command,
                              const std::string& stdinText, const Attachment& a,
                              std::vector<std::pair<std::string, std::string>> extraEnv) const {
  PluginCall call;
  call.type = type;
  call.command = command;
  std::string path;
  for (const auto& dir : cniPath_) {
    if (::access((dir + "/" + type).c_str(), X_OK) == 0) {
      path = dir + "/" + type;
      break;
    }
  }
  if (path.empty()) {
    call.err = "plugin " + type + " not found in CNI_PATH";
    return call;
  }
  sys::ExecRequest req;
  req.path = path;
  req.input = stdinText;
  req.timeout = std::chrono::seconds(120);
  req.env = {{"CNI_COMMAND", command}, {"CNI_CONTAINERID", a.containerId},
             {"CNI_NETNS", a.netns},   {"CNI_IFNAME", a.ifname},
             {"CNI_ARGS", a.args},     {"CNI_PATH", join(cniPath_, ":")}};
  for (auto& kv : extraEnv)
    req.env.push_back(std::move(kv));
  int fd = nodeNetnsFd_;
  if (fd >= 0) {
    req.childSetup = ::kt::testing::enterNetnsInChild;
    req.childSetupArg = &fd;
  }
  auto r = sys::run(req);
  if (!r) {
    call.err = r.error().message();
    return call;
  }
  call.exitCode = r->exitCode;
  call.out = r->out;
  call.err = r->err;
  if (!trim(call.out).empty()) call.output = json::parse(call.out, nullptr, false);
  return call;
}

ChainOutcome CniRuntime::run(const Attachment& a, const std::string& command, bool reverse,
                             bool chainResults) {
  ChainOutcome outcome;
  std::vector<json> plugins(conflist_["plugins"].begin(), conflist_["plugins"].end());
  if (reverse) std::reverse(plugins.begin(), plugins.end());
  std::optional<json> prev = chainResults ? std::nullopt : cached_;
  for (const auto& plugin : plugins) {
    std::string type = plugin["type"];
    auto call = invoke(type, command, pluginConf(plugin, prev).dump(), a);
    bool ok = call.exitCode == 0;
    if (ok && chainResults) {
      if (!call.output.is_object()) ok = false;
      prev = call.output;
    }
    outcome.calls.push_back(std::move(call));
    if (!ok) return outcome;
  }
  outcome.ok = true;
  if (chainResults && prev) outcome.result = *prev;
  return outcome;
}

ChainOutcome CniRuntime::add(const Attachment& a) {
  auto o = run(a, "ADD", false, true);
  if (o.ok) cached_ = o.result;
  return o;
}

ChainOutcome CniRuntime::check(const Attachment& a) {
  return run(a, "CHECK", false, false);
}

ChainOutcome CniRuntime::del(const Attachment& a) {
  auto o = run(a, "DEL", true, false);
  if (o.ok) cached_.reset();
  return o;
}

}  // namespace kt::cni::test
