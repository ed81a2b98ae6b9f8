#include "config/cli.h"

#include <CLI/CLI.hpp>

#include "config/settings.h"
#include "config/values.h"

namespace kt::config {

namespace {

const char* typeName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kBool:
      return "";
    case ValueKind::kPort:
    case ValueKind::kPortOrZero:
      return "PORT";
    case ValueKind::kPortList:
      return "PORTS";
    case ValueKind::kCidrList:
      return "IPS";
    case ValueKind::kUidExclusions:
      return "[PROTO:][PORTS:]UIDS";
    case ValueKind::kUint:
      return "UINT";
    case ValueKind::kDuration:
      return "DURATION";
    case ValueKind::kIpFamilyMode:
      return "MODE";
    case ValueKind::kBackend:
      return "BACKEND";
    case ValueKind::kUser:
      return "USER";
    case ValueKind::kPath:
    case ValueKind::kAbsolutePath:
    case ValueKind::kOptionalPath:
      return "PATH";
    case ValueKind::kInterface:
      return "IFACE";
    case ValueKind::kEnvVarName:
      return "NAME";
    case ValueKind::kInstanceIps:
      return "IP";
    case ValueKind::kObjectDigests:
      return "FILE=SHA256,...";
  }
  return "VALUE";
}

std::string helpFor(const Setting& s, std::string_view flag) {
  std::string help(s.help);
  if (flag != s.flags.front()) return "deprecated alias of " + std::string(s.flags.front());
  std::string def = s.show(SettingTarget{});
  // Booleans default to false unless said otherwise.
  if (!def.empty() && def != "false") help += " (default " + def + ")";
  return help;
}

CLI::Option* textOption(CLI::App& cmd, const std::string& name, const std::string& help,
                        const std::string& type) {
  auto* opt = cmd.add_option(name, help);
  opt->type_name(type)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return opt;
}

CLI::Option* boolFlag(CLI::App& cmd, const std::string& name, const std::string& help) {
  auto* opt = cmd.add_flag(name, help);
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return opt;
}

// The last value given for an option, or "".
std::string lastValue(const CLI::Option* opt) {
  if (!opt || opt->count() == 0) return {};
  return opt->results().back();
}

}  // namespace

FlagFilter FlagFilter::namedIn(const std::vector<std::string>& args) {
  FlagFilter f;
  f.all_ = false;
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") return all();
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) f.names_.insert(a.substr(0, a.find('=')));
  }
  return f;
}

bool FlagFilter::wants(std::string_view flag) const {
  return all_ || names_.count(flag) > 0;
}

SettingFlags::SettingFlags(CLI::App& cmd, const std::vector<std::string_view>& only,
                           const FlagFilter& filter)
    : cmd_(cmd) {
  for (const auto& s : settings()) {
    for (auto flag : s.flags) {
      if (!only.empty() && std::find(only.begin(), only.end(), flag) == only.end()) continue;
      if (!filter.wants(flag)) continue;
      std::string name(flag);
      auto* opt = s.isBool() ? boolFlag(cmd, name, helpFor(s, flag))
                             : textOption(cmd, name, helpFor(s, flag), typeName(s.kind));
      names_[opt] = name;
    }
  }
}

std::vector<FlagValue> SettingFlags::given() const {
  // parse_order lists an option once per occurrence; take its results one by one.
  std::vector<FlagValue> out;
  std::map<const CLI::Option*, size_t> next;
  for (const CLI::Option* opt : cmd_.parse_order()) {
    auto it = names_.find(opt);
    if (it == names_.end()) continue;
    size_t& i = next[opt];
    const auto& results = opt->results();
    if (i >= results.size()) continue;
    out.push_back(FlagValue{it->second, results[i++]});
  }
  return out;
}

InstallFlags::InstallFlags(CLI::App& cmd, const FlagFilter& filter) : settings_(cmd, {}, filter) {
  auto text = [&](const char* name, const char* help, const char* type) -> CLI::Option* {
    return filter.wants(name) ? textOption(cmd, name, help, type) : nullptr;
  };
  configFile_ = text("--config-file",
                     "configuration file, YAML or JSON with Kuma's schema; - = stdin", "PATH|-");
  annotationsFile_ = text("--annotations-file",
                          "the pod's annotations file from the Kubernetes downward API", "PATH");
  podManifest_ =
      text("--pod-manifest", "a Pod object (JSON or YAML) whose annotations are read; - = stdin",
           "PATH|-");
  annotation_ = text("--annotation", "an annotation (repeatable)", "KEY=VALUE");
  if (filter.wants("--verify")) {
    verify_ = boolFlag(cmd, "--verify", "compare the installed rules with the configuration");
  }
  logLevel_ = text("--log-level", "trace, debug, info, warn, error or off", "LEVEL");
  logFormat_ = text("--log-format", "text or json", "FORMAT");
}

LoadRequest InstallFlags::request() const {
  LoadRequest req;
  req.flags = settings_.given();
  req.configFile = lastValue(configFile_);
  req.annotationsFile = lastValue(annotationsFile_);
  req.podManifest = lastValue(podManifest_);
  if (annotation_ && annotation_->count() > 0) req.annotations = annotation_->results();
  return req;
}

Result<bool> InstallFlags::verify() const {
  if (!verify_ || verify_->count() == 0) return false;
  auto b = parseBool(lastValue(verify_));
  if (!b) return std::move(b).takeError().context("flag --verify");
  return *b;
}

std::string InstallFlags::logLevel() const {
  return lastValue(logLevel_);
}

std::string InstallFlags::logFormat() const {
  return lastValue(logFormat_);
}

}  // namespace kt::config
