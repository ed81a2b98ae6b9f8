// iptables-save output as the iptables backend reads it back (verify, uninstall, "existing
// rules"): other software in the pod's namespace writes rules and comments there, so the text is
// not ours. Uninstall must never touch a foreign chain or rule: every cleanup line deletes one
// of the saved rules that are ours (jump to or live in KUMA_MESH_*, carry our comment, or equal
// a line we render) or flushes / deletes a KUMA_MESH_* chain.
#include <set>

#include "backend/iptables/saved_ruleset.h"
#include "backend/iptables/tools.h"
#include "base/strings.h"
#include "fuzz_support.h"
#include "iptables/render_iptables.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  using namespace kt::backend::iptables;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);
  (void)parseVersionMode(text);

  auto rs = SavedRuleset::parse(text);
  (void)rs.hasRules();
  const std::set<std::string> rendered = {"-A OUTPUT -p tcp -j RETURN"};
  const std::string mark = std::string("--comment \"") + rules::kCommentPrefix;
  for (const auto& t : rs.tables) {
    // Restore text of a table parses back to the same table.
    auto again = SavedRuleset::parse(t.restoreText());
    if (again.tables.size() != 1 || again.tables[0].name != t.name ||
        again.tables[0].chainLines != t.chainLines || again.tables[0].ruleLines != t.ruleLines) {
      fuzz::fail("restoreText does not parse back", t.name);
    }

    auto ours = findOurs(t, rendered);
    std::set<std::string> saved(t.ruleLines.begin(), t.ruleLines.end());
    for (const auto& line : cleanupLines(ours)) {
      auto words = splitRuleLine(line);
      if (words.size() < 2) fuzz::fail("cleanup line without a chain", line);
      if (words[0] == "-F" || words[0] == "-X") {
        if (!isOurChain(words[1]) || words.size() != 2) fuzz::fail("cleans a foreign chain", line);
        continue;
      }
      if (words[0] != "-D") fuzz::fail("unexpected cleanup command", line);
      std::string rule = "-A" + line.substr(2);
      if (!saved.count(rule)) fuzz::fail("deletes a rule that was not saved", line);
      bool mine = isOurChain(ruleChain(rule)) || isOurChain(ruleTarget(rule)) ||
                  rule.find(mark) != std::string::npos || rendered.count(rule);
      if (!mine) fuzz::fail("deletes a foreign rule", line);
      if (isOurChain(ruleChain(rule))) fuzz::fail("deletes a rule of our chain one by one", line);
    }
    for (const auto& c : ours.chains)
      if (!t.hasChain(c)) fuzz::fail("our chain is not in the table", c);
  }
  return 0;
}
