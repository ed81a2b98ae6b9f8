#include "scenario_inputs.h"

#include <CLI/CLI.hpp>

#include "config/cli.h"
#include "config/loader.h"
#include "support/golden.h"

namespace kt::parity {

IpAddress podIp(Family f) {
  return *IpAddress::parse(f == Family::kV4 ? "10.0.0.2" : "fd00::2");
}

Result<ScenarioInputs> loadScenarioInputs(const std::string& goldenDir, const std::string& name) {
  std::string parseError;
  golden::Scenario scenario = golden::loadScenario(goldenDir, name, &parseError);
  if (!parseError.empty()) return Error::config(name + ": " + parseError);
  golden::ScenarioArgs args(scenario);

  // The command line `install` would get (without --dry-run and --backend: neither changes
  // what the policy is).
  CLI::App app{"parity"};
  auto* install = app.add_subcommand("install");
  config::InstallFlags flags(*install);
  std::vector<std::string> argv = {"kuma-tproxy", "install"};
  argv.insert(argv.end(), args.args().begin(), args.args().end());
  std::vector<const char*> cargv;
  for (const auto& a : argv)
    cargv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::ParseError& e) {
    return Error::config(name + ": " + e.what());
  }
  // No environment: KUMA_TRANSPARENT_PROXY_* of the test's process must not leak in.
  config::LoadRequest request = flags.request();
  KT_ASSIGN_OR_RETURN(auto loaded, config::load(request));
  if (loaded.disabled) return Error::config(name + ": transparent proxying is disabled");

  ScenarioInputs in;
  in.cfg = loaded.config;
  // The resolv.conf copy of the scenario is read here, while `args` keeps it.
  KT_ASSIGN_OR_RETURN(in.facts, config::gatherFacts(in.cfg, loaded.run));
  in.pod.netnsCookie = 4242;
  in.pod.localAddresses = {{*IpAddress::parse("127.0.0.1"), true},
                           {*IpAddress::parse("::1"), true},
                           {podIp(Family::kV4), false},
                           {podIp(Family::kV6), false}};
  in.pod.instanceIps = {podIp(Family::kV4)};
  return in;
}

}  // namespace kt::parity
