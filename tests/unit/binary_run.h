// Runs the built kuma-tproxy binary (KT_TPROXY_BINARY, from CMake) the way an operator would:
// a chosen program name, an argument vector and an environment, never through a shell.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config_test_support.h"

namespace kt::config::testing {

struct BinaryRun {
  int exitCode = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the binary with `argv0` as its program name, `args` after it and exactly `env` (plus
// PATH), stdin from /dev/null, stdout and stderr captured in files.
inline BinaryRun runBinaryAs(const std::string& argv0, const std::vector<std::string>& args,
                             const std::vector<std::string>& env = {}) {
  TempFile out(""), err("");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.path().c_str(), O_WRONLY | O_TRUNC, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.path().c_str(), O_WRONLY | O_TRUNC, 0);
  std::vector<std::string> argStore = {argv0};
  argStore.insert(argStore.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argStore)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envStore = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  envStore.insert(envStore.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : envStore)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  BinaryRun r;
  pid_t pid = 0;
  int rc = posix_spawn(&pid, KT_TPROXY_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << KT_TPROXY_BINARY << ": " << std::strerror(rc);
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out.path());
  r.err = slurp(err.path());
  return r;
}

}  // namespace kt::config::testing
