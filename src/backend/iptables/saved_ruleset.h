// iptables-save output as data: which rules and chains are ours, and the restore lines that
// remove exactly those. Pure text processing, no kernel I/O.
//
// Ours are: chains named KUMA_MESH_*, and in every other chain the rules that jump to one of
// them, carry our comment prefix, or equal a line we render (for rules installed with
// --disable-comments). Everything else is foreign and is never touched.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "iptables/model.h"

namespace kt::backend::iptables {

struct SavedTable {
  std::string name;                     // "nat"
  std::vector<std::string> chainLines;  // ":PREROUTING ACCEPT [0:0]", ":KUMA_MESH_INBOUND - [0:0]"
  std::vector<std::string> ruleLines;   // "-A PREROUTING -p tcp ... -j KUMA_MESH_INBOUND"

  std::vector<std::string> chainNames() const;
  bool hasChain(std::string_view chain) const;
  // Restore input that recreates this table exactly (for `*-restore` without --noflush).
  std::string restoreText() const;
};

struct SavedRuleset {
  std::vector<SavedTable> tables;

  // Parses iptables-save / ip6tables-save output (comment lines, such as the "# Warning:
  // iptables-legacy tables present" line of iptables-nft-save, are skipped).
  static SavedRuleset parse(std::string_view text);
  const SavedTable* find(std::string_view table) const;
  // Kuma's "existing rules": a rule or a user-defined chain in raw, nat or mangle.
  bool hasRules() const;
};

// The words of a save/restore line, with iptables' quoting undone ("a b" -> a b, \" -> ").
std::vector<std::string> splitRuleLine(std::string_view line);
// The chain of a "-A CHAIN ..." line, and its -j target ("" without one).
std::string ruleChain(std::string_view line);
std::string ruleTarget(std::string_view line);

bool isOurChain(std::string_view chain);

// Our part of one saved table.
struct OurState {
  std::vector<std::string> chains;     // our chains, in save order
  std::vector<std::string> ruleLines;  // "-A ..." of ours in chains that are not ours
  // Our chains' contents: "-A KUMA_MESH_... ..." in save order.
  std::vector<std::string> chainRuleLines;
  bool empty() const { return chains.empty() && ruleLines.empty(); }
};

// `rendered` holds save lines we would install (matched exactly, for rules without comments).
OurState findOurs(const SavedTable& t, const std::set<std::string>& rendered);

// Restore lines (for --noflush input inside "*table") that delete our rules from foreign
// chains by their exact spec, then flush and delete our chains.
std::vector<std::string> cleanupLines(const OurState& ours);

}  // namespace kt::backend::iptables
