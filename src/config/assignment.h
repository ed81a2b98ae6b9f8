// What every configuration source produces: assignments of text values to settings.
#pragma once

#include <string>
#include <vector>

#include "config/settings.h"
#include "config/source.h"

namespace kt::config {

// One text value and where it came from (a YAML sequence item has its own line).
struct RawValue {
  std::string text;
  Source source;
};

struct Assignment {
  const Setting* setting = nullptr;
  // Scalar settings: exactly one value. List settings: every value is parsed and the items are
  // concatenated in order; no values = an explicit empty list.
  std::vector<RawValue> values;
  Source source;  // where the assignment as a whole came from
};

// An assignment of one text value, coming from `source`.
inline Assignment assign(const Setting* setting, std::string text, const Source& source) {
  return Assignment{setting, {RawValue{std::move(text), source}}, source};
}

// The same for the setting with the given key ("redirect.dns.enabled").
inline Assignment assign(std::string_view key, std::string text, const Source& source) {
  return assign(findSetting(key), std::move(text), source);
}

}  // namespace kt::config
