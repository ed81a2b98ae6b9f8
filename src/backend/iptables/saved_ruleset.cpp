#include "backend/iptables/saved_ruleset.h"

#include <algorithm>

#include "base/strings.h"
#include "iptables/render_iptables.h"

namespace kt::backend::iptables {

namespace {

// The first word of a line and the rest.
std::string_view firstWord(std::string_view line) {
  return line.substr(0, line.find(' '));
}

}  // namespace

std::vector<std::string> splitRuleLine(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool inWord = false, quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size()) {
        cur += line[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (inWord) words.push_back(std::move(cur));
      cur.clear();
      inWord = false;
      continue;
    }
    inWord = true;
    if (c == '"') {
      quoted = true;
    } else {
      cur += c;
    }
  }
  if (inWord) words.push_back(std::move(cur));
  return words;
}

std::string ruleChain(std::string_view line) {
  auto words = splitRuleLine(line);
  return words.size() >= 2 ? words[1] : std::string();
}

std::string ruleTarget(std::string_view line) {
  auto words = splitRuleLine(line);
  for (size_t i = 2; i + 1 < words.size(); ++i)
    if (words[i] == "-j" || words[i] == "--jump") return words[i + 1];
  return {};
}

bool isOurChain(std::string_view chain) {
  return startsWith(chain, rules::kChainPrefix);
}

std::vector<std::string> SavedTable::chainNames() const {
  std::vector<std::string> out;
  for (const auto& l : chainLines)
    out.emplace_back(firstWord(std::string_view(l).substr(1)));
  return out;
}

bool SavedTable::hasChain(std::string_view chain) const {
  auto names = chainNames();
  return std::find(names.begin(), names.end(), chain) != names.end();
}

std::string SavedTable::restoreText() const {
  std::string out = "*" + name + "\n";
  for (const auto& l : chainLines)
    out += l + "\n";
  for (const auto& l : ruleLines)
    out += l + "\n";
  out += "COMMIT\n";
  return out;
}

SavedRuleset SavedRuleset::parse(std::string_view text) {
  SavedRuleset rs;
  SavedTable* cur = nullptr;
  for (auto raw : split(text, '\n')) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '*') {
      rs.tables.push_back(SavedTable{std::string(line.substr(1)), {}, {}});
      cur = &rs.tables.back();
    } else if (!cur) {
      continue;
    } else if (line == "COMMIT") {
      cur = nullptr;
    } else if (line[0] == ':') {
      cur->chainLines.emplace_back(line);
    } else if (startsWith(line, "-A ")) {
      cur->ruleLines.emplace_back(line);
    }
  }
  return rs;
}

const SavedTable* SavedRuleset::find(std::string_view table) const {
  for (const auto& t : tables)
    if (t.name == table) return &t;
  return nullptr;
}

bool SavedRuleset::hasRules() const {
  for (const char* name : {"raw", "nat", "mangle"}) {
    const SavedTable* t = find(name);
    if (!t) continue;
    if (!t->ruleLines.empty()) return true;
    for (const auto& l : t->chainLines) {
      // Built-in chains have a policy; user-defined ones show "-".
      auto words = splitRuleLine(l);
      if (words.size() >= 2 && words[1] == "-") return true;
    }
  }
  return false;
}

OurState findOurs(const SavedTable& t, const std::set<std::string>& rendered) {
  OurState ours;
  for (const auto& c : t.chainNames())
    if (isOurChain(c)) ours.chains.push_back(c);
  const std::string commentMark = std::string("--comment \"") + rules::kCommentPrefix;
  for (const auto& line : t.ruleLines) {
    if (isOurChain(ruleChain(line))) {
      ours.chainRuleLines.push_back(line);
      continue;
    }
    if (isOurChain(ruleTarget(line)) || line.find(commentMark) != std::string::npos ||
        rendered.count(line)) {
      ours.ruleLines.push_back(line);
    }
  }
  return ours;
}

std::vector<std::string> cleanupLines(const OurState& ours) {
  std::vector<std::string> out;
  for (const auto& l : ours.ruleLines)
    out.push_back("-D" + l.substr(2));
  for (const auto& c : ours.chains)
    out.push_back("-F " + c);
  for (const auto& c : ours.chains)
    out.push_back("-X " + c);
  return out;
}

}  // namespace kt::backend::iptables
