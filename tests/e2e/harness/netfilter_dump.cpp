#include "harness/netfilter_dump.h"

#include <regex>

#include "base/strings.h"
#include "sys/exec.h"

namespace kt::e2e {

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
