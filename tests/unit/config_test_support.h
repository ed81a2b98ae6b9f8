// Helpers shared by the config and CLI unit tests.
#pragma once

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/strings.h"

namespace kt::config::testing {

// A file under /tmp with a name unique to this process, removed when destroyed (also when the
// test fails).
class TempFile {
 public:
  explicit TempFile(const std::string& content, const std::string& suffix = "") {
    static int counter = 0;
    path_ = "/tmp/kt-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
            suffix;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The first line of a configuration error ("invalid configuration (N problems):").
inline std::string headerLine(const Error& e) {
  const std::string message = e.message();
  return message.substr(0, message.find('\n'));
}

// The problem lines of a configuration error, without the "  - " bullets and the header line.
inline std::vector<std::string> problemLines(const Error& e) {
  std::vector<std::string> out;
  const std::string message = e.message();
  auto lines = split(message, '\n');
  for (size_t i = 1; i < lines.size(); ++i) {
    auto l = lines[i];
    if (startsWith(l, "  - ")) l.remove_prefix(4);
    out.emplace_back(l);
  }
  return out;
}

}  // namespace kt::config::testing
