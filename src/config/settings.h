// The one table of settings that drives every configuration source.
//
// A setting is defined once: its canonical key (the config-file path in Kuma's schema, also the
// base of its KUMA_TRANSPARENT_PROXY_* variable), its install flags, the annotation keys that
// map to it one to one, its value grammar, and how it is written into and read from Config (or,
// for the few settings that say how a run goes, RunOptions).
// Sources (flags, config file, annotations, environment) only turn text into Assignments to
// settings; parsing, precedence and application are generic (loader.cpp).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/net.h"
#include "base/result.h"
#include "config/config.h"
#include "config/source.h"

namespace kt::config {

enum class ValueKind {
  kBool,
  kPort,           // 1-65535
  kPortOrZero,     // 0-65535 (0 = off)
  kPortList,       // comma lists of ports and ranges
  kCidrList,       // comma lists of addresses / CIDRs
  kUidExclusions,  // `[proto:][ports:]uids` entries (one per value)
  kUint,           // 0..Setting::max
  kDuration,       // Go duration
  kIpFamilyMode,
  kBackend,
  kUser,          // uid or user name
  kPath,          // non-empty path
  kAbsolutePath,  // non-empty absolute path
  kOptionalPath,  // empty = built-in choice
  kInterface,     // interface name, empty = automatic
  kEnvVarName,
  kInstanceIps,    // empty, one address, or a comma list of one per family
  kObjectDigests,  // `file=sha256hex` comma list
};

// How annotations spell the booleans of a setting (kuma.md 1.1).
enum class AnnotationBool { kEnabled, kYesNo };

// Who may choose a setting's value (docs/security.md).
//   kPod:  it shapes the interception of one pod's own traffic (ports, exclusions, uids, DNS,
//          IP family, backend among those the administrator allows, logs): the pod's author may
//          set it by annotation, also in CNI mode.
//   kNode: it chooses something of the node: a path that root opens, creates or mounts, a
//          program root loads, a lock, a time budget, the namespace to enter. Only the node
//          administrator sets it (flags and config file of the init container, the CNI network
//          configuration); in CNI mode a pod may set it only when the administrator lists its
//          key in allow_pod_settings.
enum class Scope { kPod, kNode };

using Value = std::variant<bool, uint16_t, uint32_t, std::vector<PortRange>, std::vector<Cidr>,
                           std::vector<UidPortExclusion>, std::chrono::milliseconds, IpFamilyMode,
                           Backend, std::string, std::vector<IpAddress>, SidecarUser>;

// What the settings table writes into and reads from: the configuration (what to install) and
// the run options (how the run goes: --dry-run, --netns, --verbose, cniMode).
struct SettingTarget {
  Config config;
  RunOptions run;
};

struct Setting {
  std::string_view key;  // canonical key, e.g. "redirect.inbound.port"
  ValueKind kind = ValueKind::kBool;
  // Whether `key` is a config-file path (and so has a KUMA_TRANSPARENT_PROXY_* variable).
  bool inFile = true;
  std::vector<std::string_view> flags;        // install flags; the first is the primary name
  std::vector<std::string_view> annotations;  // 1:1 annotation keys; a later key wins
  AnnotationBool annotationBool = AnnotationBool::kEnabled;
  Scope scope = Scope::kPod;
  uint32_t max = 0;       // kUint only
  std::string_view help;  // one line for --help
  // Writes a parsed value (of the variant alternative that `kind` produces) into the target.
  std::function<void(SettingTarget&, const Value&)> apply;
  // The setting's current value in canonical text (parseable by the same grammar).
  std::function<std::string(const SettingTarget&)> show;
  std::string envName;  // generated from `key` when inFile, else empty

  bool isList() const {
    return kind == ValueKind::kPortList || kind == ValueKind::kCidrList ||
           kind == ValueKind::kUidExclusions;
  }
  bool isBool() const { return kind == ValueKind::kBool; }
};

inline constexpr std::string_view kEnvPrefix = "KUMA_TRANSPARENT_PROXY_";

// Every setting, in the order they are applied and listed (provenance, help).
const std::vector<Setting>& settings();
const Setting* findSetting(std::string_view key);
const Setting* findSettingByFlag(std::string_view flag);  // "--redirect-dns"
const Setting* findSettingByEnv(std::string_view name);   // full variable name

// The canonical keys of every node-level setting, in table order.
std::vector<std::string_view> nodeSettingKeys();

// "redirect.dns.captureAll" -> "KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_CAPTURE_ALL"; acronyms stay
// whole words (kumaDPUser -> KUMA_DP_USER, excludePortsForUIDs -> EXCLUDE_PORTS_FOR_UIDS).
std::string envNameForKey(std::string_view key);

// True when `path` is a config-file section ("redirect", "redirect.inbound", "ebpf", ...).
bool isConfigSection(std::string_view path);

// Parses one text value with the setting's grammar (flag grammar for booleans). List settings
// return the (unmerged) items of this one text.
Result<Value> parseSettingValue(const Setting& s, std::string_view text);

}  // namespace kt::config
