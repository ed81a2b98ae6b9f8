#include "sys/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "base/strings.h"
#include "sys/fd.h"

extern char** environ;

namespace kt::sys {

namespace {

struct Pipe {
  Fd read, write;
};

Result<Pipe> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error::system("pipe2", errno);
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

bool isExecutableFile(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::string ExecResult::describe() const {
  std::string s = signal ? "killed by signal " + std::to_string(signal)
                         : "exit code " + std::to_string(exitCode);
  auto msg = std::string(trim(err.empty() ? out : err));
  if (msg.size() > 2000) msg = msg.substr(0, 2000) + "...";
  if (!msg.empty()) s += ": " + msg;
  return s;
}

Result<ExecResult> run(const ExecRequest& req) {
  KT_ASSIGN_OR_RETURN(Pipe in, makePipe());
  KT_ASSIGN_OR_RETURN(Pipe out, makePipe());
  KT_ASSIGN_OR_RETURN(Pipe err, makePipe());

  // Build argv and envp before fork: the child must not allocate.
  std::string argv0 = req.path.substr(req.path.rfind('/') + 1);
  std::vector<char*> argv;
  argv.push_back(argv0.data());
  std::vector<std::string> args = req.args;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> envMap;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) envMap[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : req.env)
    envMap[k] = v;
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : envMap)
    envStrings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : envStrings)
    envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return Error::system("fork for " + req.path, errno);
  if (pid == 0) {
    ::dup2(in.read.get(), 0);
    ::dup2(out.write.get(), 1);
    ::dup2(err.write.get(), 2);
    // Default signal dispositions for the child.
    ::signal(SIGPIPE, SIG_DFL);
    if (req.childSetup && !req.childSetup(req.childSetupArg)) {
      const char msg[] = "kuma-tproxy: child setup before exec failed\n";
      ssize_t ignored = ::write(2, msg, sizeof msg - 1);
      (void)ignored;
      ::_exit(126);
    }
    ::execve(req.path.c_str(), argv.data(), envp.data());
    const char msg[] = "kuma-tproxy: execve failed\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();

  ExecResult result;
  size_t written = 0;
  if (req.input.empty()) in.write.reset();
  ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + req.timeout;
  bool timedOut = false;
  while (out.read || err.read) {
    pollfd pfds[3];
    int n = 0;
    int outIdx = -1, errIdx = -1, inIdx = -1;
    if (out.read) pfds[outIdx = n++] = {out.read.get(), POLLIN, 0};
    if (err.read) pfds[errIdx = n++] = {err.read.get(), POLLIN, 0};
    if (in.write) pfds[inIdx = n++] = {in.write.get(), POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    int r = ::poll(pfds, n, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    auto drain = [](Fd& fd, std::string& into) {
      char buf[65536];
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got > 0) {
        into.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.reset();
      }
    };
    if (outIdx >= 0 && pfds[outIdx].revents) drain(out.read, result.out);
    if (errIdx >= 0 && pfds[errIdx].revents) drain(err.read, result.err);
    if (inIdx >= 0 && pfds[inIdx].revents) {
      if (pfds[inIdx].revents & (POLLERR | POLLHUP)) {
        in.write.reset();
      } else {
        ssize_t w = ::write(in.write.get(), req.input.data() + written, req.input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) in.write.reset();
        if (written == req.input.size()) in.write.reset();
      }
    }
  }
  in.write.reset();
  if (timedOut) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timedOut) {
    return Error(ErrorKind::kTransient, commandLine(req.path, req.args) +
                                            " did not finish within " +
                                            std::to_string(req.timeout.count()) + " ms");
  }
  if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

Result<std::string> findExecutable(const std::string& name) {
  if (name.empty()) return Error(ErrorKind::kNotFound, "empty executable name");
  if (name.find('/') != std::string::npos) {
    if (isExecutableFile(name)) return name;
    return Error(ErrorKind::kNotFound, "executable " + name + " not found or not executable");
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    for (auto& d : split(path, ':'))
      if (!d.empty()) dirs.emplace_back(d);
  }
  for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
    dirs.emplace_back(d);
  for (const auto& d : dirs) {
    std::string p = d + "/" + name;
    if (isExecutableFile(p)) return p;
  }
  return Error(ErrorKind::kNotFound, "executable " + name + " not found in PATH");
}

std::string commandLine(const std::string& path, const std::vector<std::string>& args) {
  std::string s = path;
  for (const auto& a : args) {
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`;&|<>*?()[]{}") == std::string::npos;
    s += ' ';
    if (plain) {
      s += a;
    } else {
      s += '\'';
      for (char c : a)
        s += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      s += '\'';
    }
  }
  return s;
}

}  // namespace kt::sys
