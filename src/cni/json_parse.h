// The one way JSON from outside enters the program: the network configuration on stdin (with
// its prevResult), the API server's answers, configuration files and the installer's template.
//
// Every document is limited to kMaxJsonDepth levels of nesting, enforced while parsing: the
// parser stops at the first array or object that would go deeper, so a hostile document
// (a prevResult nested 100 000 deep fits in a few hundred KiB) never becomes a tree whose
// recursive copy, comparison or conversion would exhaust the stack.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace kt::cni {

// Nesting levels allowed: the outermost object or array is level 1. CNI results, pods and
// conflists use well under 20.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses `text` as exactly one JSON document. Errors are kConfig and start with `what` ("the
// network configuration", "the API server's answer"): "... is not valid JSON: <parser's
// reason>" or "... nests deeper than 64 levels".
Result<nlohmann::json> parseJson(std::string_view text, std::string_view what);
Result<nlohmann::ordered_json> parseOrderedJson(std::string_view text, std::string_view what);

}  // namespace kt::cni
