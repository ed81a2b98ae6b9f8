// Editing CNI network configuration files for chaining: pure text in, text out.
//
// Our entry is the element of "plugins" whose "type" is "kuma-cni". Edits are splices: bytes we
// do not own are never re-serialized, so removing our entry after adding it gives back the
// original bytes exactly (chainIntoConflist then unchainFromConflist is the identity on a
// conflist without a kuma-cni entry). Our entry is rendered in the layout of its neighbours
// (compact or indented, same indentation and line endings).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace kt::cni {

inline constexpr const char* kPluginType = "kuma-cni";

enum class ConfKind { kConflist, kSingle };

// kConflist when the document has a "plugins" list, kSingle when it has a "type" string; a
// kConfig error otherwise (or when it is not JSON).
Result<ConfKind> classifyConf(std::string_view text);

enum class ChainState {
  kAbsent,   // no kuma-cni entry
  kCurrent,  // exactly one, equal to ours, and last in the chain
  kStale,    // present but different, duplicated or not last
};
Result<ChainState> chainState(std::string_view conflistText, const nlohmann::ordered_json& plugin);

// Appends `plugin` to the conflist's plugins (after removing any kuma-cni entries). Returns the
// input unchanged when the state is already kCurrent.
Result<std::string> chainIntoConflist(std::string_view text, const nlohmann::ordered_json& plugin);
// Removes every kuma-cni entry with the separator that precedes it.
Result<std::string> unchainFromConflist(std::string_view text);
// A conflist holding the single-plugin configuration followed by `plugin`; its name and
// cniVersion are the configuration's (defaults "k8s-pod-network" and "0.3.1").
Result<std::string> wrapConf(std::string_view confText, const nlohmann::ordered_json& plugin);

}  // namespace kt::cni
