#include "cni/request.h"

#include <cstdlib>

#include "base/strings.h"

namespace kt::cni {

namespace {

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool validContainerId(std::string_view id) {
  if (id.empty() || !isAlnum(id.front())) return false;
  for (char c : id)
    if (!isAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

bool validIfname(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

EnvLookup processEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<CniArgs> CniArgs::parse(std::string_view text) {
  CniArgs out;
  for (auto pair : split(text, ';')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Error::config("CNI_ARGS: " + quoteForMessage(pair) + " is not a KEY=VALUE pair");
    }
    out.pairs.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
  }
  return out;
}

std::optional<std::string> CniArgs::get(std::string_view key) const {
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it)
    if (it->first == key) return it->second;
  return std::nullopt;
}

Result<Request> requestFromEnv(const EnvLookup& env) {
  auto commandText = env("CNI_COMMAND");
  if (!commandText || commandText->empty()) return Error::config("CNI_COMMAND is not set");
  auto command = parseCommand(*commandText);
  if (!command) {
    return Error::config("CNI_COMMAND: " + quoteForMessage(*commandText) +
                         " is not one of ADD, DEL, CHECK, VERSION, STATUS, GC");
  }
  Request req;
  req.command = *command;
  if (req.command == Command::kVersion) return req;

  bool needsContainer = req.command == Command::kAdd || req.command == Command::kDel ||
                        req.command == Command::kCheck;
  bool needsNetns = req.command == Command::kAdd || req.command == Command::kCheck;
  std::vector<std::string> problems;
  auto take = [&](const char* name, bool required) -> std::string {
    auto v = env(name);
    if ((!v || v->empty()) && required) problems.push_back(std::string(name) + " is not set");
    return v.value_or("");
  };
  req.containerId = take("CNI_CONTAINERID", needsContainer);
  req.netns = take("CNI_NETNS", needsNetns);
  req.ifname = take("CNI_IFNAME", needsContainer);
  std::string path = take("CNI_PATH", needsContainer);
  std::string args = take("CNI_ARGS", false);

  if (!req.containerId.empty() && !validContainerId(req.containerId)) {
    problems.push_back("CNI_CONTAINERID: " + quoteForMessage(req.containerId) +
                       " must start with an alphanumeric character followed by alphanumerics, "
                       "'_', '.' or '-'");
  }
  if (!req.ifname.empty() && !validIfname(req.ifname)) {
    problems.push_back("CNI_IFNAME: " + quoteForMessage(req.ifname) +
                       " is not a valid interface name");
  }
  if (!req.netns.empty() && req.netns.front() != '/') {
    problems.push_back("CNI_NETNS: " + quoteForMessage(req.netns) + " is not an absolute path");
  }
  for (auto& dir : splitList(path, ':'))
    req.path.push_back(dir);
  auto parsedArgs = CniArgs::parse(args);
  if (!parsedArgs) {
    problems.push_back(parsedArgs.error().message());
  } else {
    req.args = std::move(*parsedArgs);
  }
  for (const char* key : {"K8S_POD_NAME", "K8S_POD_NAMESPACE"}) {
    auto v = req.args.get(key);
    if (v && !v->empty() && !isValidObjectName(*v)) {
      problems.push_back("CNI_ARGS: " + std::string(key) + "=" + quoteForMessage(*v) +
                         " is not a valid Kubernetes object name");
    }
  }
  if (!problems.empty()) return Error::config(join(problems, "; "));
  return req;
}

bool isValidObjectName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  auto lowerAlnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lowerAlnum(name.front()) || !lowerAlnum(name.back())) return false;
  for (char c : name)
    if (!lowerAlnum(c) && c != '-' && c != '.') return false;
  return true;
}

}  // namespace kt::cni
