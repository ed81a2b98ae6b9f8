#include "cni/spec.h"

#include <algorithm>
#include <charconv>

namespace kt::cni {

std::optional<Command> parseCommand(std::string_view name) {
  if (name == "ADD") return Command::kAdd;
  if (name == "DEL") return Command::kDel;
  if (name == "CHECK") return Command::kCheck;
  if (name == "VERSION") return Command::kVersion;
  if (name == "STATUS") return Command::kStatus;
  if (name == "GC") return Command::kGc;
  return std::nullopt;
}

const char* commandName(Command c) {
  switch (c) {
    case Command::kAdd:
      return "ADD";
    case Command::kDel:
      return "DEL";
    case Command::kCheck:
      return "CHECK";
    case Command::kVersion:
      return "VERSION";
    case Command::kStatus:
      return "STATUS";
    case Command::kGc:
      return "GC";
  }
  return "?";
}

const char* errorCodeMessage(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIncompatibleVersion:
      return "incompatible CNI versions";
    case ErrorCode::kUnsupportedField:
      return "unsupported field in network configuration";
    case ErrorCode::kUnknownContainer:
      return "container unknown or does not exist";
    case ErrorCode::kInvalidEnvironment:
      return "invalid necessary environment variables";
    case ErrorCode::kIoFailure:
      return "I/O failure";
    case ErrorCode::kDecodeFailure:
      return "failed to decode content";
    case ErrorCode::kInvalidNetworkConfig:
      return "invalid network config";
    case ErrorCode::kTryAgainLater:
      return "try again later";
    case ErrorCode::kPluginNotAvailable:
      return "plugin not available";
    case ErrorCode::kRulesDrifted:
      return "transparent proxy state differs from the pod's configuration";
  }
  return "error";
}

std::optional<SpecVersion> SpecVersion::parse(std::string_view text) {
  SpecVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  for (size_t i = 0; i < 3; ++i) {
    if (i > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
      ++digits;
    if (digits == 0 || digits > 4) return std::nullopt;
    std::from_chars(text.data(), text.data() + digits, *parts[i]);
    text.remove_prefix(digits);
  }
  if (!text.empty()) return std::nullopt;
  return v;
}

const std::vector<std::string>& supportedVersions() {
  static const std::vector<std::string> kVersions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return kVersions;
}

const std::string& newestVersion() {
  return supportedVersions().back();
}

bool isSupportedVersion(std::string_view version) {
  const auto& v = supportedVersions();
  return std::find(v.begin(), v.end(), version) != v.end();
}

Status commandAllowedIn(Command command, std::string_view version) {
  auto have = SpecVersion::parse(version);
  SpecVersion need{0, 1, 0};
  if (command == Command::kCheck) need = {0, 4, 0};
  if (command == Command::kStatus || command == Command::kGc) need = {1, 1, 0};
  if (!have || *have < need) {
    return Error::config(std::string(commandName(command)) + " is not defined in CNI spec " +
                         std::string(version) + " (needs " + std::to_string(need.major) + "." +
                         std::to_string(need.minor) + "." + std::to_string(need.patch) +
                         " or later)");
  }
  return okStatus();
}

bool isPreOneZero(std::string_view version) {
  auto v = SpecVersion::parse(version);
  return v && v->major == 0;
}

}  // namespace kt::cni
