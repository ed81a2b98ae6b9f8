#include "process.h"

#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kt::cni::test {

TempDir::TempDir(const std::string& tag) {
  std::string tmpl = "/tmp/kt-cni-" + tag + "-" + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  ::nftw(
      path_.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

Child::Child(const ChildOptions& opt) {
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : opt.env)
    envStrings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = opt.argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envStrings)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string out = opt.stdoutFile.empty() ? "/dev/null" : opt.stdoutFile;
  std::string err = opt.stderrFile.empty() ? "/dev/null" : opt.stderrFile;
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int n = ::open(opt.stdinFile.empty() ? "/dev/null" : opt.stdinFile.c_str(), O_RDONLY);
    if (o < 0 || e < 0 || n < 0) ::_exit(125);
    ::dup2(n, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    if (opt.netnsFd >= 0 && ::setns(opt.netnsFd, CLONE_NEWNET) != 0) ::_exit(124);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

Child::~Child() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

void Child::signal(int sig) const {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  waitFor(
      [&] {
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_.has_value();
      },
      timeout);
  return status_;
}

bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace kt::cni::test
