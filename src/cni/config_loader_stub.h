// TEMPORARY stand-in for config::fromAnnotations() from src/config/loader.h (being written by the
// config engineer). Deleted when that lands on main; keep the signature identical.
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "config/config.h"

namespace kt::config {

struct Loaded {
  Config config;
  bool disabled = false;
};

inline Result<Loaded> fromAnnotations(const std::map<std::string, std::string>& annotations,
                                      const std::string& sourceName, bool cniMode) {
  (void)sourceName;
  Loaded l;
  l.config.cniMode = cniMode;
  auto it = annotations.find("kuma.io/transparent-proxying");
  l.disabled = it != annotations.end() && it->second == "disabled";
  return l;
}

}  // namespace kt::config
