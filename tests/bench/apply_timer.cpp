#include "apply_timer.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "support/enter_netns.h"
#include "sys/exec.h"
#include "sys/fd.h"

namespace kt::bench {

namespace {

// A fresh, prepared namespace, deleted (then settled) when destroyed.
class SampleNetns {
 public:
  static Result<std::unique_ptr<SampleNetns>> make(const std::string& name,
                                                   const std::string& setupBatch,
                                                   std::chrono::milliseconds settle) {
    KT_ASSIGN_OR_RETURN(std::string ip, sys::findExecutable("ip"));
    KT_ASSIGN_OR_RETURN(auto add, sys::run({ip, {"netns", "add", name}, {}, {}, kTimeout}));
    if (!add.success()) return Error::runtime("ip netns add " + name + ": " + add.describe());
    std::unique_ptr<SampleNetns> ns(new SampleNetns(ip, name, settle));
    KT_ASSIGN_OR_RETURN(auto setup,
                        sys::run({ip, {"-n", name, "-batch", "-"}, setupBatch, {}, kTimeout}));
    if (!setup.success()) return Error::runtime("namespace set-up: " + setup.describe());
    ns->fd_ = sys::Fd(::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns->fd_) return Error::system("opening /run/netns/" + name, errno);
    return ns;
  }
  ~SampleNetns() {
    fd_.reset();
    auto del = sys::run({ip_, {"netns", "delete", name_}, {}, {}, kTimeout});
    if (!del || !del->success()) spdlog::error("could not delete namespace {}", name_);
    // Namespace teardown is asynchronous: let it finish before the next sample is timed.
    std::this_thread::sleep_for(settle_);
  }
  int fd() const { return fd_.get(); }

 private:
  static constexpr std::chrono::seconds kTimeout{30};
  SampleNetns(std::string ip, std::string name, std::chrono::milliseconds settle)
      : ip_(std::move(ip)), name_(std::move(name)), settle_(settle) {}
  std::string ip_, name_;
  std::chrono::milliseconds settle_;
  sys::Fd fd_;
};

struct Prepared {
  std::string argv0;
  std::vector<std::string> args;
  std::vector<char*> argv;
  sys::Fd input;
};

// Times fork + setns + exec + wait of every command; returns milliseconds.
Result<double> timeMethod(const Method& m, int nsFd) {
  // Everything the children need is prepared before the clock starts.
  std::vector<Prepared> prepared(m.commands.size());
  for (size_t i = 0; i < m.commands.size(); ++i) {
    const Command& c = m.commands[i];
    Prepared& p = prepared[i];
    p.argv0 = c.path.substr(c.path.rfind('/') + 1);
    p.args = c.args;
    p.argv.push_back(p.argv0.data());
    for (auto& a : p.args)
      p.argv.push_back(a.data());
    p.argv.push_back(nullptr);
    const std::string& in = c.stdinFile.empty() ? std::string("/dev/null") : c.stdinFile;
    p.input = sys::Fd(::open(in.c_str(), O_RDONLY | O_CLOEXEC));
    if (!p.input) return Error::system("opening " + in, errno);
  }
  sys::Fd devnull(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!devnull) return Error::system("opening /dev/null", errno);

  timespec t0{}, t1{};
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  for (size_t i = 0; i < prepared.size(); ++i) {
    Prepared& p = prepared[i];
    pid_t pid = ::fork();
    if (pid < 0) return Error::system("fork", errno);
    if (pid == 0) {
      if (::setns(nsFd, CLONE_NEWNET) != 0) ::_exit(126);
      ::dup2(p.input.get(), 0);
      ::dup2(devnull.get(), 1);
      ::dup2(devnull.get(), 2);
      ::execv(m.commands[i].path.c_str(), p.argv.data());
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return Error::runtime(sys::commandLine(m.commands[i].path, m.commands[i].args) +
                            " failed during a timed sample (status " + std::to_string(status) +
                            ")");
    }
  }
  ::clock_gettime(CLOCK_MONOTONIC, &t1);
  return (static_cast<double>(t1.tv_sec - t0.tv_sec) * 1e3) +
         static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

// Untimed run of `commands` with their output captured, so a broken method fails loudly.
Status runUntimed(const Method& m, const std::vector<Command>& commands, int nsFd) {
  for (const auto& c : commands) {
    std::string input;
    if (!c.stdinFile.empty()) {
      std::ifstream in(c.stdinFile, std::ios::binary);
      if (!in) return Error::runtime("cannot read " + c.stdinFile);
      std::ostringstream ss;
      ss << in.rdbuf();
      input = ss.str();
    }
    int fd = nsFd;
    KT_ASSIGN_OR_RETURN(auto r, sys::run({c.path,
                                          c.args,
                                          input,
                                          {},
                                          std::chrono::seconds(60),
                                          testing::enterNetnsInChild,
                                          &fd}));
    if (!r.success()) {
      return Error::runtime("method " + m.name + ": " + sys::commandLine(c.path, c.args) + ": " +
                            r.describe());
    }
  }
  return okStatus();
}

Status validate(const Method& m, int nsFd) {
  KT_TRY(runUntimed(m, m.prepare, nsFd));
  return runUntimed(m, m.commands, nsFd);
}

}  // namespace

Result<std::vector<Method>> parseMethods(const std::string& text) {
  std::vector<Method> methods;
  int lineNo = 0;
  for (auto rawLine : split(text, '\n')) {
    ++lineNo;
    auto words = splitList(rawLine, ' ');
    if (words.empty() || words.front().front() == '#') continue;
    std::string where = "methods line " + std::to_string(lineNo);
    if (words.front() == "method") {
      if (words.size() < 2) return Error::config(where + ": method needs a name");
      Method m;
      m.name = words[1];
      std::vector<std::string> label(words.begin() + 2, words.end());
      m.label = label.empty() ? m.name : join(label, " ");
      methods.push_back(std::move(m));
    } else if (words.front() == "run" || words.front() == "prepare") {
      if (methods.empty())
        return Error::config(where + ": " + words.front() + " before any method");
      if (words.size() < 2) return Error::config(where + ": " + words.front() + " needs a program");
      Command c;
      std::vector<std::string> rest(words.begin() + 2, words.end());
      if (rest.size() >= 2 && rest[rest.size() - 2] == "<") {
        c.stdinFile = rest.back();
        rest.resize(rest.size() - 2);
      }
      KT_ASSIGN_OR_RETURN(c.path, sys::findExecutable(words[1]));
      c.args = std::move(rest);
      auto& list = words.front() == "run" ? methods.back().commands : methods.back().prepare;
      list.push_back(std::move(c));
    } else {
      return Error::config(where + ": expected 'method', 'prepare' or 'run', got " + words.front());
    }
  }
  for (const auto& m : methods) {
    if (m.commands.empty()) return Error::config("method " + m.name + " has no run line");
  }
  return methods;
}

Result<std::vector<Sample>> runApplyBench(const ApplyOptions& opt) {
  int n = 0;
  auto nextName = [&] { return opt.nsPrefix + "-" + std::to_string(n++); };
  for (const auto& m : opt.methods) {
    KT_ASSIGN_OR_RETURN(auto ns, SampleNetns::make(nextName(), opt.setupBatch, opt.settle));
    KT_TRY(validate(m, ns->fd()));
  }
  std::vector<Sample> samples;
  size_t count = opt.methods.size();
  for (int round = 0; round < opt.reps; ++round) {
    for (size_t k = 0; k < count; ++k) {
      const Method& m = opt.methods[(k + static_cast<size_t>(round)) % count];
      KT_ASSIGN_OR_RETURN(auto ns, SampleNetns::make(nextName(), opt.setupBatch, opt.settle));
      KT_TRY(runUntimed(m, m.prepare, ns->fd()));
      KT_ASSIGN_OR_RETURN(double ms, timeMethod(m, ns->fd()));
      samples.push_back({m.name, round, ms});
    }
  }
  return samples;
}

}  // namespace kt::bench
