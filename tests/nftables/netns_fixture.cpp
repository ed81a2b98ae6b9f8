#include "netns_fixture.h"

#include <unistd.h>

#include <atomic>

#include <spdlog/spdlog.h>

namespace kt::testing {

namespace {

Result<sys::ExecResult> runTool(const std::vector<std::string>& argv, const std::string& input) {
  KT_ASSIGN_OR_RETURN(auto path, sys::findExecutable(argv.at(0)));
  sys::ExecRequest req;
  req.path = path;
  req.args.assign(argv.begin() + 1, argv.end());
  req.input = input;
  req.timeout = std::chrono::seconds(60);
  return sys::run(req);
}

}  // namespace

bool isRoot() {
  return ::geteuid() == 0;
}

Result<std::unique_ptr<ScratchNetns>> ScratchNetns::create() {
  static std::atomic<int> counter{0};
  std::string name =
      "kt-nft-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  KT_ASSIGN_OR_RETURN(auto r, runTool({"ip", "netns", "add", name}, {}));
  if (!r.success()) return Error::runtime("ip netns add " + name + ": " + r.describe());
  auto ns = std::unique_ptr<ScratchNetns>(new ScratchNetns(name));
  KT_TRY(ns->check({"ip", "link", "set", "lo", "up"}));
  return ns;
}

ScratchNetns::~ScratchNetns() {
  auto r = runTool({"ip", "netns", "del", name_}, {});
  if (!r.ok() || !r->success()) spdlog::error("could not delete network namespace {}", name_);
}

Result<sys::ExecResult> ScratchNetns::run(const std::vector<std::string>& argv,
                                          const std::string& input) const {
  std::vector<std::string> full{"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return runTool(full, input);
}

Result<std::string> ScratchNetns::check(const std::vector<std::string>& argv,
                                        const std::string& input) const {
  KT_ASSIGN_OR_RETURN(auto r, run(argv, input));
  if (!r.success()) {
    return Error::runtime(sys::commandLine(argv.at(0), {argv.begin() + 1, argv.end()}) + " in " +
                          name_ + ": " + r.describe());
  }
  return r.out;
}

Result<std::unique_ptr<sys::NetnsGuard>> ScratchNetns::enter() const {
  return sys::NetnsGuard::enter(path());
}

Status ScratchNetns::addIpv6Interface() const {
  // A veth pair with both ends here (the kernel may lack the dummy driver).
  KT_TRY(check({"ip", "link", "add", "kt0", "type", "veth", "peer", "name", "kt1"}));
  KT_TRY(check({"ip", "link", "set", "kt0", "up"}));
  KT_TRY(check({"ip", "link", "set", "kt1", "up"}));
  KT_TRY(check({"ip", "addr", "add", "10.200.0.1/24", "dev", "kt0"}));
  KT_TRY(check({"ip", "-6", "addr", "add", "fd00:200::1/64", "dev", "kt0", "nodad"}));
  return {};
}

}  // namespace kt::testing
