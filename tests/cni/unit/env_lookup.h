// An EnvLookup over a fixed set of variables, for tests of code that reads the environment.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "cni/request.h"

namespace kt::cni {

inline EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace kt::cni
