// Standard base64 (RFC 4648, with padding), as kubeconfig *-data fields use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kt::cni {

std::string base64Encode(std::string_view data);
// Ignores ASCII whitespace (PEM-style line breaks); nullopt on any other invalid character or a
// bad length/padding.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace kt::cni
