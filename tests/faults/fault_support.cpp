#include "fault_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "base/strings.h"

extern char** environ;

namespace kt::testing {

std::vector<BackendCase> ruleBackends() {
  return {{"iptables-nft"}, {"iptables-legacy"}, {"nftables"}};
}

std::string backendParamName(const ::testing::TestParamInfo<BackendCase>& p) {
  std::string n = p.param.name;
  for (auto& c : n)
    if (c == '-') c = '_';
  return n;
}

sys::ExecResult runTproxy(std::vector<std::string> args, const Env& env) {
  sys::ExecRequest req;
  req.path = KT_TPROXY_BINARY;
  req.args = std::move(args);
  req.env = env;
  req.timeout = std::chrono::minutes(2);
  auto r = sys::run(req);
  if (!r) {
    ADD_FAILURE() << "running kuma-tproxy: " << r.error().message();
    return sys::ExecResult{};
  }
  return *r;
}

std::vector<std::string> inNetns(const ScratchNetns& ns, std::vector<std::string> args) {
  bool uninstall = !args.empty() && args[0] == "uninstall";
  args.insert(args.begin() + 1, {"--netns", ns.path()});
  // No user 5678 exists on the test machine; name the uid instead of looking it up.
  if (!uninstall) args.emplace_back("--kuma-dp-user=5678");
  return args;
}

namespace {

// Splits *-save output into "*table" blocks and normalizes each.
void addSaveUnits(Snapshot& out, const std::string& family, const std::string& save) {
  std::string table, body;
  bool meaningful = false;
  for (auto line : split(save, '\n')) {
    std::string l(line);
    if (l.empty() || l[0] == '#') continue;
    if (l[0] == '*') {
      table = l.substr(1);
      body = l + "\n";
      meaningful = false;
      continue;
    }
    if (l[0] == ':') {
      // ":CHAIN POLICY [p:b]": counters move with traffic; a user chain ("-") or a built-in
      // chain with another policy than ACCEPT is state someone set.
      auto bracket = l.rfind('[');
      if (bracket != std::string::npos) l = l.substr(0, bracket) + "[0:0]";
      auto words = split(l, ' ');
      if (words.size() < 2 || words[1] != "ACCEPT") meaningful = true;
    }
    if (l[0] == '-') meaningful = true;
    if (l == "COMMIT") {
      if (meaningful) out[family + " " + table] = body + l + "\n";
      table.clear();
      continue;
    }
    body += l + "\n";
  }
}

std::string saveOf(ScratchNetns& ns, const std::string& tool) {
  auto out = ns.check(tool, {});
  if (!out) {
    ADD_FAILURE() << out.error().message();
    return {};
  }
  return *out;
}

std::atomic<int> tempCounter{0};

}  // namespace

Snapshot snapshotState(ScratchNetns& ns, const BackendCase& b) {
  Snapshot s;
  if (b.iptables()) {
    addSaveUnits(s, "ipv4", saveOf(ns, "iptables-" + b.mode() + "-save"));
    addSaveUnits(s, "ipv6", saveOf(ns, "ip6tables-" + b.mode() + "-save"));
  } else {
    auto out = ns.check("nft", {"list", "ruleset"});
    if (!out) ADD_FAILURE() << out.error().message();
    s["ruleset"] = out ? *out : "";
  }
  return s;
}

std::string describe(const Snapshot& s) {
  std::string out;
  for (const auto& [unit, text] : s)
    out += "== " + unit + "\n" + text;
  return out.empty() ? "(nothing)\n" : out;
}

std::string unitsInNeither(const Snapshot& got, const Snapshot& a, const Snapshot& b) {
  std::set<std::string> units;
  for (const auto* s : {&got, &a, &b})
    for (const auto& [u, t] : *s)
      units.insert(u);
  auto textOf = [](const Snapshot& s, const std::string& u) -> std::string {
    auto it = s.find(u);
    return it == s.end() ? "(absent)\n" : it->second;
  };
  std::string out;
  for (const auto& u : units) {
    std::string g = textOf(got, u);
    if (g == textOf(a, u) || g == textOf(b, u)) continue;
    out += "unit " + u + " is neither state.\n-- found:\n" + g + "-- previous:\n" + textOf(a, u) +
           "-- new:\n" + textOf(b, u);
  }
  return out;
}

Status loadForeignState(ScratchNetns& ns, const BackendCase& b) {
  if (!b.iptables()) {
    auto r = ns.run("nft", {"-f", "-"},
                    "table inet kt_foreign {\n"
                    "  set blocked { type ipv4_addr; elements = { 192.0.2.7 } }\n"
                    "  chain out { type filter hook output priority 10; ip daddr @blocked drop; }\n"
                    "}\n");
    if (!r) return std::move(r).takeError();
    if (!r->success()) return Error::runtime("loading the foreign nft table: " + r->describe());
    return okStatus();
  }
  for (const char* prefix : {"iptables", "ip6tables"}) {
    bool v4 = std::string(prefix) == "iptables";
    std::string host = v4 ? "192.0.2.10/32" : "2001:db8::10/128";
    std::string rules =
        "*raw\n-A PREROUTING -s " + host +
        " -j CT --notrack\nCOMMIT\n"
        "*nat\n:FOREIGN_CHAIN - [0:0]\n-A OUTPUT -d " +
        host +
        " -j FOREIGN_CHAIN\n-A FOREIGN_CHAIN -p tcp -m tcp --dport 2222 -j RETURN\nCOMMIT\n"
        "*mangle\n-A PREROUTING -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xffffffff\n"
        "COMMIT\n";
    auto r = ns.run(std::string(prefix) + "-" + b.mode() + "-restore", {"--noflush"}, rules);
    if (!r) return std::move(r).takeError();
    if (!r->success()) return Error::runtime("loading foreign rules: " + r->describe());
  }
  return okStatus();
}

bool hasPassthroughAddress(ScratchNetns& ns) {
  auto out = ns.check("ip", {"-6", "addr", "show", "dev", "lo"});
  if (!out) {
    ADD_FAILURE() << out.error().message();
    return false;
  }
  return out->find("inet6 ::6/128") != std::string::npos;
}

Result<Spawned> Spawned::start(const std::string& path, const std::vector<std::string>& args,
                               const Env& env, const std::string& logPath) {
  std::vector<std::string> argvStrings{path.substr(path.rfind('/') + 1)};
  argvStrings.insert(argvStrings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argvStrings)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<std::string, std::string> envMap;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) envMap[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env)
    envMap[k] = v;
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : envMap)
    envStrings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envStrings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log < 0) return Error::system("opening " + logPath, errno);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log);
    return Error::system("fork", err);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log);
  // Also in the parent: a kill right after start must reach the group.
  ::setpgid(pid, pid);
  return Spawned(pid);
}

Spawned::~Spawned() {
  if (pid_ <= 0) return;
  killGroup();
  waitAll();
}

void Spawned::killMain() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

void Spawned::killGroup() {
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
}

int Spawned::waitAll() {
  if (pid_ <= 0) return status_;
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  // Orphans of the group were reparented to us (subreaper): reap them all.
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(-pid_, &st, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;  // ECHILD: none left
  }
  return status_;
}

bool Spawned::exited() {
  if (reaped_) return true;
  pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return reaped_;
}

void becomeSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) ADD_FAILURE() << "PR_SET_CHILD_SUBREAPER";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tempPath(const std::string& tag) {
  return "/tmp/kt-faults-" + tag + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(tempCounter++);
}

StubDir::StubDir() : dir_(tempPath("stubs")) {
  if (::mkdir(dir_.c_str(), 0700) != 0) ADD_FAILURE() << "mkdir " << dir_;
}

StubDir::~StubDir() {
  for (const auto& f : files_)
    ::unlink(f.c_str());
  ::rmdir(dir_.c_str());
}

void StubDir::stub(const std::string& name) {
  std::string link = dir_ + "/" + name;
  if (::symlink(KT_FAULT_TOOL, link.c_str()) != 0) ADD_FAILURE() << "symlink " << link;
  files_.push_back(link);
}

Env StubDir::env(Env extra) const {
  const char* path = std::getenv("PATH");
  extra.emplace_back("PATH", dir_ + ":" + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"));
  return extra;
}

}  // namespace kt::testing
