// The *-restore input the backend sends, built from what *-save showed and what the renderer
// produced. Pure text, no kernel I/O.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backend/iptables/saved_ruleset.h"
#include "iptables/render_iptables.h"

namespace kt::backend::iptables {

// The tables we ever write, in restore order.
inline constexpr const char* kOurTables[] = {"raw", "nat", "mangle"};

// --noflush input that, per table and in one transaction, removes our previous rules and chains
// (found in `before` by findOurs with `matching`) and installs `rendered`. Tables with nothing
// to remove or add are left out; the names of the others go to `touched`.
std::string installInput(const std::vector<rules::IptablesTable>& rendered,
                         const std::optional<SavedRuleset>& before,
                         const std::set<std::string>& matching, std::vector<std::string>& touched);

// Input for *-restore WITHOUT --noflush that puts every table in `touched` back to its content
// in `before`; a table absent from `before` is emptied.
std::string rollbackInput(const std::optional<SavedRuleset>& before,
                          const std::vector<std::string>& touched);

struct UninstallInput {
  std::string text;  // --noflush input; empty when nothing of ours is there
  size_t rules = 0;
  size_t chains = 0;
};
UninstallInput uninstallInput(const SavedRuleset& saved, const std::set<std::string>& matching);

// Whether our part of the `touched` tables differs between two saves.
bool oursDiffer(const std::optional<SavedRuleset>& a, const SavedRuleset& b,
                const std::vector<std::string>& touched, const std::set<std::string>& matching);

// Verify: the readable differences between the rendered table `expected` (nullptr = nothing of
// ours expected) and our part of the saved table `saved` (nullptr = the table does not exist).
// Lines: "- missing chain in <where>: X", "+ unexpected chain in <where>: X",
// "- missing in <where>: -A ...", "+ unexpected in <where>: -A ...", and
// "~ rules of chain X in <where> are in another order than expected".
std::vector<std::string> tableDifferences(const std::string& where,
                                          const rules::IptablesTable* expected,
                                          const SavedTable* saved,
                                          const std::set<std::string>& matching);

}  // namespace kt::backend::iptables
