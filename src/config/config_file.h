// The config file as a configuration source: YAML or JSON with Kuma's schema names
// (kuma.md 2.2) plus our keys `redirect.inbound.portIPv6` and `backend`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/assignment.h"
#include "config/source.h"

namespace kt::config {

// Largest config file accepted.
inline constexpr size_t kMaxConfigFileBytes = 1024 * 1024;

// Turns the file's text into assignments, one per key present (null values are skipped). Lists
// may be sequences (each item with its own line) or comma strings. Unknown keys, duplicate keys,
// wrong node types and Kuma settings we do not support (set to anything but an empty value) are
// problems naming path:line. `path` is used only in sources ("-" = stdin).
std::vector<Assignment> configFileAssignments(std::string_view text, const std::string& path,
                                              Problems& problems);

}  // namespace kt::config
