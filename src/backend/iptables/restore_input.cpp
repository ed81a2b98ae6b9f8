#include "backend/iptables/restore_input.h"

#include <algorithm>
#include <map>

namespace kt::backend::iptables {

namespace {

const rules::IptablesTable* findRendered(const std::vector<rules::IptablesTable>& rendered,
                                         std::string_view name) {
  for (const auto& t : rendered)
    if (rules::tableName(t.table) == name) return &t;
  return nullptr;
}

OurState oursIn(const std::optional<SavedRuleset>& rs, const std::string& table,
                const std::set<std::string>& matching) {
  const SavedTable* t = rs ? rs->find(table) : nullptr;
  return t ? findOurs(*t, matching) : OurState{};
}

}  // namespace

std::string installInput(const std::vector<rules::IptablesTable>& rendered,
                         const std::optional<SavedRuleset>& before,
                         const std::set<std::string>& matching, std::vector<std::string>& touched) {
  std::string out;
  for (const char* name : kOurTables) {
    auto cleanup = cleanupLines(oursIn(before, name, matching));
    const rules::IptablesTable* r = findRendered(rendered, name);
    if (cleanup.empty() && !r) continue;
    touched.emplace_back(name);
    out += "*" + std::string(name) + "\n";
    // Our previous state goes first, in the same transaction: re-running never duplicates
    // rules and never hits "chain already exists".
    for (const auto& l : cleanup)
      out += l + "\n";
    if (r) {
      for (const auto& c : r->newChains)
        out += "-N " + c + "\n";
      for (const auto& rule : r->rules)
        out += rule.line() + "\n";
    }
    out += "COMMIT\n";
  }
  return out;
}

std::string rollbackInput(const std::optional<SavedRuleset>& before,
                          const std::vector<std::string>& touched) {
  std::string out;
  for (const auto& name : touched) {
    const SavedTable* t = before ? before->find(name) : nullptr;
    out += t ? t->restoreText() : "*" + name + "\nCOMMIT\n";
  }
  return out;
}

UninstallInput uninstallInput(const SavedRuleset& saved, const std::set<std::string>& matching) {
  UninstallInput in;
  for (const char* name : kOurTables) {
    const SavedTable* t = saved.find(name);
    if (!t) continue;
    OurState ours = findOurs(*t, matching);
    if (ours.empty()) continue;
    in.rules += ours.ruleLines.size() + ours.chainRuleLines.size();
    in.chains += ours.chains.size();
    in.text += "*" + std::string(name) + "\n";
    for (const auto& l : cleanupLines(ours))
      in.text += l + "\n";
    in.text += "COMMIT\n";
  }
  return in;
}

bool oursDiffer(const std::optional<SavedRuleset>& a, const SavedRuleset& b,
                const std::vector<std::string>& touched, const std::set<std::string>& matching) {
  std::optional<SavedRuleset> bb(b);
  for (const auto& name : touched) {
    OurState oa = oursIn(a, name, matching), ob = oursIn(bb, name, matching);
    if (oa.chains != ob.chains || oa.ruleLines != ob.ruleLines ||
        oa.chainRuleLines != ob.chainRuleLines) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> tableDifferences(const std::string& where,
                                          const rules::IptablesTable* expected,
                                          const SavedTable* saved,
                                          const std::set<std::string>& matching) {
  std::vector<std::string> diff;
  // Expected and found rule lines per chain; chains in order of first appearance.
  std::map<std::string, std::vector<std::string>> want, have;
  std::vector<std::string> wantChains, haveChains, order;
  auto note = [&](const std::string& c) {
    if (std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
  };
  if (expected) {
    wantChains = expected->newChains;
    for (const auto& r : expected->rules) {
      note(r.chain);
      want[r.chain].push_back(r.saveLine());
    }
  }
  if (saved) {
    OurState ours = findOurs(*saved, matching);
    haveChains = ours.chains;
    for (const auto* lines : {&ours.ruleLines, &ours.chainRuleLines}) {
      for (const auto& l : *lines) {
        std::string c = ruleChain(l);
        note(c);
        have[c].push_back(l);
      }
    }
  }
  auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const auto& c : wantChains)
    if (!contains(haveChains, c)) diff.push_back("- missing chain in " + where + ": " + c);
  for (const auto& c : haveChains)
    if (!contains(wantChains, c)) diff.push_back("+ unexpected chain in " + where + ": " + c);
  for (const auto& c : order) {
    const auto& w = want[c];
    const auto& h = have[c];
    std::multiset<std::string> unmatched(h.begin(), h.end());
    bool sameRules = true;
    for (const auto& l : w) {
      if (auto it = unmatched.find(l); it != unmatched.end()) {
        unmatched.erase(it);
      } else {
        sameRules = false;
        diff.push_back("- missing in " + where + ": " + l);
      }
    }
    // What is left over was not expected; report it in save order.
    for (const auto& l : h) {
      if (auto it = unmatched.find(l); it != unmatched.end()) {
        unmatched.erase(it);
        sameRules = false;
        diff.push_back("+ unexpected in " + where + ": " + l);
      }
    }
    if (sameRules && w != h) {
      diff.push_back("~ rules of chain " + c + " in " + where +
                     " are in another order than expected");
    }
  }
  return diff;
}

}  // namespace kt::backend::iptables
