#include "scenario.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
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

std::vector<std::string> scenarioNames(const std::string& goldenDir) {
  std::vector<std::string> out;
  std::string dir = goldenDir + "/scenarios";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      const std::string ext = ".scenario";
      if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0) {
        out.push_back(n.substr(0, n.size() - ext.size()));
      }
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string readFile(const std::string& path, bool* ok) {
  std::ifstream in(path);
  if (ok) *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kt::golden
