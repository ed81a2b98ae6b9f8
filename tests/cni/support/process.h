// Test helpers: a child process owned by the test (killed and reaped on destruction), a
// temporary directory removed recursively, and polling with a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kt::cni::test {

class TempDir {
 public:
  explicit TempDir(const std::string& tag);  // /tmp/kt-cni-<tag>-<pid>-XXXXXX
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Reads a whole file ("" when missing).
std::string slurp(const std::string& path);
void spit(const std::string& path, const std::string& content);

struct ChildOptions {
  std::vector<std::string> argv;                         // argv[0] is the executable path
  std::vector<std::pair<std::string, std::string>> env;  // the whole environment
  std::string stdoutFile, stderrFile;                    // empty = /dev/null
  std::string stdinFile;                                 // empty = /dev/null
  int netnsFd = -1;  // setns() into this network namespace before exec
};

class Child {
 public:
  explicit Child(const ChildOptions& opt);
  ~Child();  // SIGKILL + reap if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // The exit status (exit code, or 128 + signal) once the child ended within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls `pred` every 20 ms until it holds or `timeout` passes; returns its last value.
bool waitFor(const std::function<bool()>& pred,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace kt::cni::test
