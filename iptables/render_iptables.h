// Renders the model as iptables-restore input (one family at a time) and as Kuma's dry-run text.
//
// The non-verbose form of every rule is exactly what iptables-save prints for it (option order
// -s -d -i -o -p, then the matches in the order we add them: tcp/udp, multiport, owner,
// conntrack, comment; then -j and its options; masks always printed; iptables-save's quoting).
// That lets verify and uninstall compare our rules with `iptables-save` output as text.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace kt::rules {

// Our chain names all start with this (KUMA_MESH_INBOUND, ...).
inline constexpr const char* kChainPrefix = "KUMA_MESH_";
// A multiport match takes at most 15 ports; a range counts as two.
inline constexpr size_t kMultiportMax = 15;

struct IptablesOptions {
  bool comments = true;  // -m comment --comment "kuma/mesh/transparent/proxy/<tag>"
  bool verbose = false;  // long option names, section comments, blank lines (Kuma --verbose)
};

// One rendered rule: `-A chain spec` or, when position > 0, `-I chain position spec`.
struct IptablesRule {
  std::string chain;  // "OUTPUT", "KUMA_MESH_INBOUND", ...
  int position = 0;   // 1-based insert position; 0 = append
  std::string spec;   // everything after the chain (and position)
  bool verbose = false;

  // The restore line: "-A OUTPUT <spec>", "-I OUTPUT 2 <spec>" (verbose: --append/--insert).
  std::string line() const;
  // What iptables-save prints for the rule once installed: "-A OUTPUT <spec>". Meaningful for
  // the non-verbose form only.
  std::string saveLine() const;
};

// The part of one table's restore input that a family gets from the model.
struct IptablesTable {
  Table table;
  std::vector<std::string> newChains;  // our chains, created with -N before any rule
  std::vector<IptablesRule> rules;     // built-in chains first, then ours, in model order
};

// The tables (raw, nat, mangle order; tables without rules for f omitted) of family f.
// An address list keeps the addresses of f and expands to one rule per address; port lists
// split into multiport rules of at most 15 ports, a single port or range uses --dport/--sport.
// Precondition (the builder guarantees it): a negated address or port list holds at most one
// entry per family, because "not any of" cannot be split into several rules.
std::vector<IptablesTable> renderIptablesTables(const Model& m, Family f,
                                                const IptablesOptions& opt);

// iptables-restore --noflush input for family f: for every table "*name", -N lines, rules,
// "COMMIT". Ends with a newline. Empty string when nothing applies to f (or f is IPv6 and
// m.ipv6 is off).
std::string renderIptables(const Model& m, Family f, const IptablesOptions& opt);

// Kuma's dry-run format: "### IPv4 ###", blank line, the IPv4 restore text, and the same for
// IPv6 ("### IPv6 ###") when m.ipv6 is set, sections separated by a blank line.
std::string renderIptablesDryRun(const Model& m, const IptablesOptions& opt);

// iptables-save's quoting of a string option value (comment, log prefix): bare when it consists
// only of [A-Za-z0-9_-] and is not empty, else in double quotes with ", \ and ' escaped.
std::string iptablesQuote(std::string_view value);

}  // namespace kt::rules
