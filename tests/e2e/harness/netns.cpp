#include "harness/netns.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "sys/fd.h"

namespace kt::e2e {

namespace {

// Runs in the forked child: async-signal-safe system calls only.
bool enterNetnsInChild(void* arg) {
  return ::setns(*static_cast<int*>(arg), CLONE_NEWNET) == 0;
}

Result<sys::ExecResult> runHost(const std::string& program, const std::vector<std::string>& args) {
  KT_ASSIGN_OR_RETURN(std::string path, sys::findExecutable(program));
  return sys::run({path, args, {}, {}, std::chrono::seconds(30), nullptr, nullptr});
}

}  // namespace

Result<std::unique_ptr<ScratchNetns>> ScratchNetns::make(const std::string& name) {
  KT_ASSIGN_OR_RETURN(auto r, runHost("ip", {"netns", "add", name}));
  if (!r.success()) return Error::runtime("ip netns add " + name + ": " + r.describe());
  std::unique_ptr<ScratchNetns> ns(new ScratchNetns(name));
  KT_TRY(ns->ipBatch("link set lo up\n"));
  return ns;
}

ScratchNetns::~ScratchNetns() {
  auto r = runHost("ip", {"netns", "delete", name_});
  if (!r) {
    spdlog::error("ip netns delete {}: {}", name_, r.error().message());
  } else if (!r->success()) {
    spdlog::error("ip netns delete {}: {}", name_, r->describe());
  }
}

Result<sys::ExecResult> ScratchNetns::run(const std::string& program,
                                          const std::vector<std::string>& args,
                                          const std::string& input) const {
  KT_ASSIGN_OR_RETURN(std::string path, sys::findExecutable(program));
  sys::Fd ns(::open(this->path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return Error::system("opening " + this->path(), errno);
  int fd = ns.get();
  return sys::run({path, args, input, {}, std::chrono::seconds(60), enterNetnsInChild, &fd});
}

Result<std::string> ScratchNetns::check(const std::string& program,
                                        const std::vector<std::string>& args,
                                        const std::string& input) const {
  KT_ASSIGN_OR_RETURN(auto r, run(program, args, input));
  if (!r.success()) {
    return Error::runtime("in netns " + name_ + ": " + sys::commandLine(program, args) + ": " +
                          r.describe());
  }
  return r.out;
}

Status ScratchNetns::ipBatch(const std::string& commands) const {
  KT_TRY(check("ip", {"-batch", "-"}, commands));
  return okStatus();
}

}  // namespace kt::e2e
