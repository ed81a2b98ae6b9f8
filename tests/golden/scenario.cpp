#include "scenario.h"

#include <sstream>

namespace kt::golden {

namespace {

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

Scenario parseScenario(const std::string& name, const std::string& text, std::string* error) {
  Scenario s;
  s.name = name;
  enum class Section { kFlags, kAnnotations, kResolvConf } section = Section::kFlags;
  std::istringstream in(text);
  std::string raw;
  while (std::getline(in, raw)) {
    std::string line = trimmed(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line == "[annotations]") {
      section = Section::kAnnotations;
      continue;
    }
    if (line == "[resolv.conf]") {
      section = Section::kResolvConf;
      s.resolvConf = std::string();
      continue;
    }
    if (line.front() == '[' && line.back() == ']') {
      if (error) *error = "unknown section " + line;
      continue;
    }
    switch (section) {
      case Section::kFlags:
        s.flags.push_back(line);
        break;
      case Section::kAnnotations:
        s.annotations.push_back(line);
        break;
      case Section::kResolvConf:
        *s.resolvConf += line + "\n";
        break;
    }
  }
  return s;
}

}  // namespace kt::golden
