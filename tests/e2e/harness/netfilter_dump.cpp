#include "harness/netfilter_dump.h"

#include <algorithm>
#include <regex>

#include "base/strings.h"
#include "sys/exec.h"

namespace kt::e2e {

namespace {

// `nft list ruleset` prints tables, and chains and sets inside a table, in creation order, which
// says nothing about behaviour (base chains run by hook and priority; the others only by jumps):
// a re-install that recreates a chain prints it elsewhere. Sort tables, and the blocks inside
// each table, so equal rulesets print equally; lines inside a chain (rule order) stay as they are.
std::string canonicalNftListing(std::string_view listing) {
  std::vector<std::string> tables;
  std::string table;                // the current table's first line
  std::vector<std::string> blocks;  // its chains/sets, each with its lines
  for (auto line : split(listing, '\n')) {
    if (line.empty()) continue;
    if (line.front() != '\t' && line != "}") {  // "table ip nat {"
      table = std::string(line) + "\n";
      blocks.clear();
    } else if (line == "}") {
      std::sort(blocks.begin(), blocks.end());
      tables.push_back(table + join(blocks, "") + "}\n");
    } else if (line.size() > 1 && line[1] != '\t' && line != "\t}") {  // "\tchain X {"
      blocks.push_back(std::string(line) + "\n");
    } else if (!blocks.empty()) {
      blocks.back() += std::string(line) + "\n";
    }
  }
  std::sort(tables.begin(), tables.end());
  return join(tables, "");
}

}  // namespace

Result<std::string> dumpNetfilter(const ScratchNetns& ns) {
  struct Tool {
    const char* program;
    std::vector<std::string> args;
  };
  const Tool tools[] = {
      {"iptables-legacy-save", {}}, {"ip6tables-legacy-save", {}}, {"iptables-nft-save", {}},
      {"ip6tables-nft-save", {}},   {"nft", {"list", "ruleset"}},
  };
  static const std::regex counters(R"(\[\d+:\d+\])");
  static const std::regex nftCounters(R"(counter packets \d+ bytes \d+)");
  std::string dump;
  for (const auto& t : tools) {
    dump += "== " + sys::commandLine(t.program, t.args) + " ==\n";
    if (!sys::findExecutable(t.program)) {
      dump += "(not installed)\n";
      continue;
    }
    KT_ASSIGN_OR_RETURN(std::string out, ns.check(t.program, t.args));
    if (t.args == std::vector<std::string>{"list", "ruleset"}) out = canonicalNftListing(out);
    for (auto line : split(out, '\n')) {
      if (line.empty() || line.front() == '#') continue;
      std::string l(line);
      l = std::regex_replace(l, counters, "[0:0]");
      l = std::regex_replace(l, nftCounters, "counter packets 0 bytes 0");
      dump += l + "\n";
    }
  }
  return dump;
}

std::vector<std::string> ourLines(const std::string& dump) {
  std::vector<std::string> out;
  for (auto line : split(dump, '\n')) {
    if (toLower(line).find("kuma") != std::string::npos) out.emplace_back(line);
  }
  return out;
}

}  // namespace kt::e2e
