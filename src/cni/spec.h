// Facts of the CNI specification this plugin implements: commands, spec versions and the
// well-known error codes, plus our own plugin-specific codes (>= 100).
//
// Supported spec versions: 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0. CHECK exists from 0.4.0 on,
// STATUS and GC from 1.1.0 on; a request for a command its configuration's version does not
// have is an "incompatible version" error, as libcni's skeleton does.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kt::cni {

enum class Command { kAdd, kDel, kCheck, kVersion, kStatus, kGc };

// "ADD" -> kAdd; nullopt for anything else (the spec's names are upper case only).
std::optional<Command> parseCommand(std::string_view name);
const char* commandName(Command c);

// Error codes of the CNI error object. 1-99 are the specification's; >= 100 are ours.
enum class ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,  // we use it for "the pod does not exist in the API server"
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidNetworkConfig = 7,
  kTryAgainLater = 11,
  kPluginNotAvailable = 50,  // STATUS (1.1.0)
  // Plugin-specific: CHECK found the pod's transparent-proxy state different from its
  // configuration (details list the differences).
  kRulesDrifted = 100,
};

// The spec's short text for a code ("incompatible CNI versions", ...).
const char* errorCodeMessage(ErrorCode code);

// A spec version as three numbers; parse() accepts exactly "X.Y.Z".
struct SpecVersion {
  int major = 0, minor = 0, patch = 0;
  static std::optional<SpecVersion> parse(std::string_view text);
  auto operator<=>(const SpecVersion&) const = default;
};

// The versions we speak, oldest first, and the newest (used in VERSION output and in errors
// whose request had no usable version).
const std::vector<std::string>& supportedVersions();
const std::string& newestVersion();
bool isSupportedVersion(std::string_view version);

// kIncompatibleVersion-style check: is `command` defined for configuration version `version`
// (already known to be supported)? Returns a kConfig error naming both otherwise.
Status commandAllowedIn(Command command, std::string_view version);

// True for 0.x versions, whose results carry "version" on every IP entry.
bool isPreOneZero(std::string_view version);

}  // namespace kt::cni
