// Where a configuration value came from, and the collector of configuration problems.
//
// Every value the config stage reads carries a Source, so that an error and `--verbose`
// provenance can name the flag, annotation key (with file and line), environment variable or
// config-file line that set it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kt::config {

struct Source {
  // In precedence order, lowest first.
  enum class Kind { kDefault, kConfigFile, kAnnotation, kEnvironment, kFlag };

  Kind kind = Kind::kDefault;
  // Flag name ("--redirect-inbound-port"), annotation key, environment variable, or the
  // config-file key path ("redirect.inbound.port").
  std::string name;
  // The file the value was read from ("-" = stdin), or for annotations that did not come from a
  // file, what carried them ("--annotation", or the CNI plugin's pod name). Empty if none.
  std::string file;
  int line = 0;  // 1-based line in `file`; 0 = unknown

  static Source flag(std::string name) { return {Kind::kFlag, std::move(name), "", 0}; }
  static Source env(std::string name) { return {Kind::kEnvironment, std::move(name), "", 0}; }

  // "flag --x", "environment KUMA_...", "annotation kuma.io/x (file:3)",
  // "config file cfg.yaml:4 (redirect.inbound.port)", "default". Hostile names and file names
  // are quoted (quoteForMessage) so they cannot forge lines.
  std::string describe() const;
  bool operator==(const Source&) const = default;
};

const char* sourceKindName(Source::Kind kind);  // "default", "config file", ...

// "file:line" for messages ("<stdin>" for "-"; the line only when > 0), safe for hostile names.
std::string fileLocation(std::string_view file, int line);

// Text for a message: returned as is when it is short printable ASCII, else quoteForMessage.
std::string safeText(std::string_view text);

// Collects every problem of one load so they are reported together. Each problem is one line
// "<source>: <message>"; messages must render values with quoteForMessage.
class Problems {
 public:
  // At most this many problems are kept; the rest are counted.
  static constexpr size_t kMaxKept = 100;

  void add(const Source& where, std::string_view message);
  // A problem that names its sources itself (cross-setting checks).
  void add(std::string line);
  bool empty() const { return total_ == 0; }
  size_t size() const { return total_; }
  const std::vector<std::string>& lines() const { return lines_; }
  // A kConfig Error: "invalid configuration (N problems):\n  - line\n  - line" with a hint.
  Error toError() const;

 private:
  std::vector<std::string> lines_;
  size_t total_ = 0;
};

}  // namespace kt::config
