// Running external programs without a shell: execve of a resolved path with an argument vector.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace kt::sys {

struct ExecRequest {
  std::string path;               // absolute path of the executable (see findExecutable)
  std::vector<std::string> args;  // argv[1..]; argv[0] is the file name of path
  std::string input;              // written to the child's stdin, then stdin is closed
  // Set (or override) these variables on top of the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  // Runs in the child after fork, before execve; returns false (with errno set) to fail the
  // exec. Must only make async-signal-safe calls (system calls, no allocation).
  bool (*childSetup)(void* arg) = nullptr;
  void* childSetupArg = nullptr;
};

struct ExecResult {
  int exitCode = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
  bool success() const { return exitCode == 0; }
  // "exit code 2: <first lines of stderr>" for error messages.
  std::string describe() const;
};

// Starts the program and waits for it. Returns an Error only if it could not be started or
// exceeded its timeout (then it is killed); a non-zero exit is a normal ExecResult.
Result<ExecResult> run(const ExecRequest& req);

// Resolves a program name: an absolute path is checked as is; otherwise $PATH and then
// /usr/sbin, /sbin, /usr/bin, /bin are searched. kNotFound if absent or not executable.
Result<std::string> findExecutable(const std::string& name);

// "cmd arg1 'arg two'" for logs (shell-like quoting for readability only; nothing runs it).
std::string commandLine(const std::string& path, const std::vector<std::string>& args);

}  // namespace kt::sys
