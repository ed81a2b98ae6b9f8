// yaml-cpp behind Result: parsing never throws out of here. Used for config files and Pod
// manifests, in YAML or JSON (yaml-cpp reads both).
#pragma once

#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "base/result.h"

namespace kt::config {

// Parses one document. The error message is "line L, column C: <parser message>".
Result<YAML::Node> loadYaml(std::string_view text);

// 1-based line of a node (yaml-cpp counts from 0); 0 when unknown.
int yamlLine(const YAML::Node& node);

// "a mapping", "a list", "a value", "null" (for messages).
const char* yamlKindName(const YAML::Node& node);

}  // namespace kt::config
