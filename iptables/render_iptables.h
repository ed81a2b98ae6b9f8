// Renders the model as iptables-restore input (one family at a time) and as Kuma's dry-run text.
#pragma once

#include <string>

#include "model.h"

namespace kt::rules {

inline constexpr const char* kCommentPrefix = "kuma/mesh/transparent/proxy/";

struct IptablesOptions {
  bool comments = true;  // -m comment --comment "kuma/mesh/transparent/proxy/<tag>"
  bool verbose = false;  // long option names, section comments, blank lines (Kuma --verbose)
};

// iptables-restore --noflush input for family f: tables raw, nat, mangle (empty ones omitted),
// `-N` for our chains, inserts with explicit positions, port lists split into multiport rules
// of at most 15 ports. Ends with a newline. Empty string when nothing applies to f.
std::string renderIptables(const Model& m, Family f, const IptablesOptions& opt);

// Kuma's dry-run format: "### IPv4 ###", blank line, rules, and the same for IPv6 when
// m.ipv6 is set.
std::string renderIptablesDryRun(const Model& m, const IptablesOptions& opt);

}  // namespace kt::rules
