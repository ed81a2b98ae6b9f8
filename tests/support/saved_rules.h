// Reading *-save output in tests.
#pragma once

#include <string>
#include <vector>

namespace kt::testing {

// The "-A ..." lines of one table in *-save output, in order.
inline std::vector<std::string> savedRules(const std::string& save, const std::string& table) {
  std::vector<std::string> out;
  bool in = false;
  size_t pos = 0;
  while (pos < save.size()) {
    size_t end = save.find('\n', pos);
    if (end == std::string::npos) end = save.size();
    std::string line = save.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line[0] == '*') in = line.substr(1) == table;
    if (in && line.rfind("-A ", 0) == 0) out.push_back(line);
  }
  return out;
}

}  // namespace kt::testing
