#include "support/scratch_netns.h"

#include <fcntl.h>
#include <sched.h>

#include <atomic>
#include <cerrno>

#include <gtest/gtest.h>

#include "support/enter_netns.h"
#include "sys/fd.h"

namespace kt::testing {

bool isRoot() {
  return ::geteuid() == 0;
}

Result<sys::ExecResult> runProgram(const std::string& program, std::vector<std::string> args,
                                   std::string input, std::chrono::seconds timeout) {
  KT_ASSIGN_OR_RETURN(std::string path, sys::findExecutable(program));
  sys::ExecRequest req;
  req.path = path;
  req.args = std::move(args);
  req.input = std::move(input);
  req.timeout = timeout;
  return sys::run(req);
}

Result<std::unique_ptr<ScratchNetns>> ScratchNetns::make(const std::string& tag) {
  static std::atomic<int> counter{0};
  return named("kt-" + tag + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter.fetch_add(1)));
}

Result<std::unique_ptr<ScratchNetns>> ScratchNetns::named(const std::string& name) {
  KT_ASSIGN_OR_RETURN(auto r, runProgram("ip", {"netns", "add", name}));
  if (!r.success()) return Error::runtime("ip netns add " + name + ": " + r.describe());
  std::unique_ptr<ScratchNetns> ns(new ScratchNetns(name));
  ns->fd_ = sys::Fd(::open(ns->path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns->fd_) return Error::system("opening " + ns->path(), errno);
  KT_TRY(ns->ip({"link", "set", "lo", "up"}));
  return ns;
}

ScratchNetns::~ScratchNetns() {
  remove();
}

void ScratchNetns::remove() {
  if (removed_) return;
  removed_ = true;
  auto r = runProgram("ip", {"netns", "delete", name_});
  if (!r) {
    ADD_FAILURE() << "ip netns delete " << name_ << ": " << r.error().message();
  } else if (!r->success()) {
    ADD_FAILURE() << "ip netns delete " << name_ << ": " << r->describe();
  }
}

Result<sys::ExecResult> ScratchNetns::run(const std::string& program,
                                          const std::vector<std::string>& args,
                                          const std::string& input) const {
  KT_ASSIGN_OR_RETURN(std::string exe, sys::findExecutable(program));
  sys::Fd ns(::open(path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return Error::system("opening " + path(), errno);
  int fd = ns.get();
  return sys::run({exe, args, input, {}, std::chrono::seconds(60), enterNetnsInChild, &fd});
}

Result<std::string> ScratchNetns::check(const std::string& program,
                                        const std::vector<std::string>& args,
                                        const std::string& input) const {
  KT_ASSIGN_OR_RETURN(auto r, run(program, args, input));
  if (!r.success()) {
    return Error::runtime("in netns " + name_ + ": " + sys::commandLine(program, args) + ": " +
                          r.describe());
  }
  return std::move(r.out);
}

Status ScratchNetns::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> full{"-n", name_};
  full.insert(full.end(), args.begin(), args.end());
  KT_ASSIGN_OR_RETURN(auto r, runProgram("ip", full));
  if (!r.success()) return Error::runtime(sys::commandLine("ip", full) + ": " + r.describe());
  return okStatus();
}

Status ScratchNetns::ipBatch(const std::string& commands) const {
  KT_TRY(check("ip", {"-batch", "-"}, commands));
  return okStatus();
}

Result<std::unique_ptr<sys::NetnsGuard>> ScratchNetns::enter() const {
  return sys::NetnsGuard::enter(path());
}

Status ScratchNetns::addIpv6Interface() const {
  // A veth pair with both ends here (the kernel may lack the dummy driver).
  KT_TRY(ip({"link", "add", "kt0", "type", "veth", "peer", "name", "kt1"}));
  KT_TRY(ip({"addr", "add", "10.200.0.1/24", "dev", "kt0"}));
  KT_TRY(ip({"-6", "addr", "add", "fd00:200::1/64", "dev", "kt0", "nodad"}));
  KT_TRY(ip({"link", "set", "kt0", "up"}));
  KT_TRY(ip({"link", "set", "kt1", "up"}));
  return okStatus();
}

std::unique_ptr<ScratchNetns> newNetns(const std::string& tag) {
  auto ns = ScratchNetns::make(tag);
  EXPECT_TRUE(ns.ok()) << ns.error().message();
  return ns.ok() ? std::move(*ns) : nullptr;
}

}  // namespace kt::testing
