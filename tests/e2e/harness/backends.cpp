#include "harness/backends.h"

#include "harness/netfilter_dump.h"
#include "harness/tool.h"
#include "sys/exec.h"

namespace kt::e2e {

namespace {

constexpr auto kTproxyTimeout = std::chrono::seconds(60);

Result<sys::ExecResult> runTproxy(const std::vector<std::string>& args) {
  return sys::run({tproxyPath(), args, {}, {}, kTproxyTimeout, nullptr, nullptr});
}

Status checkTproxy(const std::vector<std::string>& args) {
  KT_ASSIGN_OR_RETURN(auto r, runTproxy(args));
  if (!r.success()) {
    return Error::runtime(sys::commandLine(tproxyPath(), args) + " failed: " + r.describe());
  }
  return okStatus();
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Result<std::string> netfilterState(const InstallEnv& env) {
  return dumpNetfilter(env.topo->pod());
}

Result<std::vector<std::string>> netfilterLeftovers(const InstallEnv& env) {
  KT_ASSIGN_OR_RETURN(std::string dump, dumpNetfilter(env.topo->pod()));
  return ourLines(dump);
}

}  // namespace

BackendSpec cliBackend(std::string name, std::vector<std::string> backendArgs,
                       std::function<std::vector<std::string>(const InstallEnv&)> extraArgs) {
  auto extra = [extraArgs](const InstallEnv& env) {
    return extraArgs ? extraArgs(env) : std::vector<std::string>{};
  };
  BackendSpec b;
  b.name = std::move(name);
  b.install = [backendArgs, extra](const InstallEnv& env, const Scenario& s) {
    auto args = concat(concat(concat({"install"}, backendArgs), scenarioFlags(s)), extra(env));
    return checkTproxy(concat(args, {"--netns=" + env.topo->pod().path()}));
  };
  b.uninstall = [backendArgs, extra](const InstallEnv& env) {
    auto args = concat(concat({"uninstall"}, backendArgs), extra(env));
    return checkTproxy(concat(args, {"--netns=" + env.topo->pod().path()}));
  };
  b.state = netfilterState;
  b.leftovers = netfilterLeftovers;
  b.notReady = [backendArgs, extra](const InstallEnv& env) -> std::optional<std::string> {
    auto help = runTproxy({"--help"});
    if (help && help->out.find("install") == std::string::npos) {
      return "this kuma-tproxy build has no install subcommand yet (config stage not merged)";
    }
    auto args =
        concat(concat(concat({"install", "--dry-run"}, backendArgs), scenarioFlags(Scenario{})),
               extra(env));
    auto r = runTproxy(concat(args, {"--netns=" + env.topo->pod().path()}));
    if (r && !r->success() && r->err.find("is not implemented yet") != std::string::npos) {
      return "the backend is still a placeholder in this build: " + r->describe();
    }
    return std::nullopt;
  };
  return b;
}

std::vector<BackendSpec> allBackends() {
  return {
      referenceBackend(),
      cliBackend("iptables_nft", {"--backend=iptables-nft"}),
      cliBackend("iptables_legacy", {"--backend=iptables-legacy"}),
      cliBackend("nftables", {"--backend=nftables"}),
      ebpfBackend(),
  };
}

}  // namespace kt::e2e
