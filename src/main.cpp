// kuma-tproxy: transparent-proxy set-up for Kuma / Kong Mesh pods.
//
// main() alone turns errors into exit codes: 0 done, 1 runtime failure, 2 bad configuration
// (nothing was changed). Error messages go to stderr with their hint; stdout carries only machine
// output (dry-run rules, verify differences, version, help).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/argv.h"
#include "app/install.h"
#include "app/logging.h"
#include "app/uninstall.h"
#include "base/strings.h"
#include "cni/entry.h"
#include "cni/reference.h"
#include "config/cli.h"
#include "config/input.h"
#include "version.h"

extern char** environ;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

bool startsWithDash(const std::string& arg) {
  return !arg.empty() && arg[0] == '-';
}

int exitCodeFor(const kt::Error& e) {
  return e.kind() == kt::ErrorKind::kConfig ? kExitConfig : kExitRuntime;
}

int report(const kt::Error& e) {
  spdlog::error("{}", e.message());
  if (!e.hint().empty()) spdlog::error("hint: {}", e.hint());
  return exitCodeFor(e);
}

kt::config::Environment processEnvironment() {
  kt::config::Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

kt::Result<std::string> readStdin(size_t maxBytes) {
  return kt::config::readFdLimited(STDIN_FILENO, "stdin", maxBytes);
}

void addLogFlags(CLI::App& cmd, std::string& level, std::string& format) {
  cmd.add_option("--log-level", level, "trace, debug, info, warn, error or off");
  cmd.add_option("--log-format", format, "text or json");
}

// The options of `uninstall`.
struct UninstallOptions {
  UninstallOptions(CLI::App& cmd, const kt::config::FlagFilter& filter)
      : settings(cmd, kt::app::uninstallSettingFlags(), filter) {
    ebpfAll =
        cmd.add_flag("--ebpf-all")
            ->description("also remove the node-wide eBPF programs and maps, not only this pod's");
    addLogFlags(cmd, logLevel, logFormat);
  }
  kt::config::SettingFlags settings;
  CLI::Option* ebpfAll = nullptr;
  std::string logLevel, logFormat;
};

// Gives `cmd` its options (`slot.emplace(cmd, filter)`) only when the command line names it:
// CLI11 checks every new option against all earlier ones of its command, and registering the
// ~50 options of each command on every run cost more start-up time than an nftables install
// itself (see also FlagFilter). CLI11 calls the pre-parse callback when it reaches the
// subcommand's name, before it reads the subcommand's arguments (and before `--help` prints
// them).
template <class Options>
void defineWhenParsed(CLI::App* cmd, std::optional<Options>& slot,
                      const kt::config::FlagFilter& filter) {
  cmd->preparse_callback([cmd, &slot, &filter](std::size_t) { slot.emplace(*cmd, filter); });
}

constexpr const char* kSubcommands[] = {"install", "verify", "uninstall",
                                        "version", "cni",    "cni-install"};

// Every long flag `sub` accepts, from a throwaway command with all of them registered (only on
// the error path: see defineWhenParsed for why a normal run registers fewer).
std::vector<std::string> flagsOf(const std::string& sub) {
  CLI::App tmp;
  std::optional<kt::config::InstallFlags> installFlags;
  std::optional<UninstallOptions> uninstallOpts;
  const auto all = kt::config::FlagFilter::all();
  if (sub == "install" || sub == "verify") installFlags.emplace(tmp, all);
  if (sub == "uninstall") uninstallOpts.emplace(tmp, all);
  std::vector<std::string> out;
  for (const CLI::Option* opt : tmp.get_options())
    for (const auto& name : opt->get_lnames())
      out.push_back("--" + name);
  return out;
}

// After a parse error: "did you mean ...?" for a misspelled subcommand or long flag.
void suggestAfterParseError(const std::vector<std::string>& args) {
  const std::vector<std::string> subs(std::begin(kSubcommands), std::end(kSubcommands));
  size_t i = 1;
  // Global options before the subcommand; their separate values are not the subcommand.
  while (i < args.size() && startsWithDash(args[i])) {
    bool takesValue = (args[i] == "--log-level" || args[i] == "--log-format");
    i += takesValue ? 2 : 1;
  }
  if (i >= args.size()) return;
  const std::string& sub = args[i];
  if (std::find(subs.begin(), subs.end(), sub) == subs.end()) {
    if (auto hint = kt::didYouMean(sub, subs); !hint.empty()) {
      spdlog::error("unknown command {}{}", kt::quoteForMessage(sub), hint);
    }
    return;
  }
  const auto flags = flagsOf(sub);
  for (size_t j = i + 1; j < args.size(); ++j) {
    if (args[j].rfind("--", 0) != 0 || args[j].size() == 2) continue;
    std::string name = args[j].substr(0, args[j].find('='));
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
    if (auto hint = kt::didYouMean(name, flags); !hint.empty()) {
      spdlog::error("unknown flag {} of {}{}", kt::quoteForMessage(name), sub, hint);
    }
  }
}

int run(int argc, char** argv) {
  std::vector<std::string> raw(argv, argv + argc);
  std::string prog = raw.empty() ? "kuma-tproxy" : kt::app::programName(raw[0]);

  // ---- CNI dispatch point ----
  // Invoked as `kuma-cni`, this binary is the CNI plugin: it speaks the CNI protocol (CNI_*
  // environment + network config on stdin -> result or error JSON on stdout) and must not go
  // through the CLI below.
  if (prog == "kuma-cni") return kt::cni::runPlugin();
  // The CNI image's entrypoint /install-cni (Kuma's name) is the node installer.
  if (prog == "install-cni") return kt::cni::runInstaller();

  auto args = kt::app::normalizeArgs(raw);
  if (!args) return report(args.error());
  std::vector<char*> cargs;
  for (auto& a : *args)
    cargs.push_back(a.data());

  CLI::App cli{"kuma-tproxy: transparent proxy for Kuma / Kong Mesh pods", prog};
  cli.require_subcommand(1);
  std::string logLevel, logFormat;
  addLogFlags(cli, logLevel, logFormat);

  const auto filter = kt::config::FlagFilter::namedIn(*args);
  auto* install = cli.add_subcommand(
      "install",
      "Install the transparent proxy rules into the network namespace given with --netns, or "
      "else into the current one (on a host: the host's own traffic)");
  // Not a configuration setting: a guard of this command only (app/host_namespace.h).
  bool allowHostNamespace = false;
  install->add_flag("--allow-host-namespace", allowHostNamespace,
                    "without --netns, install even when the current namespace looks like a "
                    "Kubernetes node's (a CNI configuration in /etc/cni/net.d, or named network "
                    "namespaces in /run/netns); without this flag such an install fails");
  std::optional<kt::config::InstallFlags> installFlags;
  defineWhenParsed(install, installFlags, filter);
  auto* verify = cli.add_subcommand(
      "verify", "Compare the installed rules with the configuration (= install --verify)");
  std::optional<kt::config::InstallFlags> verifyFlags;
  defineWhenParsed(verify, verifyFlags, filter);
  auto* uninstall = cli.add_subcommand("uninstall", "Remove the transparent proxy rules");
  std::optional<UninstallOptions> uninstallOpts;
  defineWhenParsed(uninstall, uninstallOpts, filter);
  auto* version = cli.add_subcommand("version", "Print the version");
  auto* cni = cli.add_subcommand("cni", "Run as the CNI plugin kuma-cni (CNI_* env, stdin)");
  auto* cniInstall =
      cli.add_subcommand("cni-install", "Install kuma-cni on this node and keep it chained");
  auto* cniReady = cli.add_subcommand(
      "cni-ready", "Exit 0 when the installer's readiness file ($READY_FILE) exists (probe)");
  // Neither takes flags: their settings come from the environment and stdin, listed in the help
  // from the same tables as docs/cni.md.
  cni->footer("\n" + kt::cni::renderHelp(kt::cni::pluginEnvironment()) + "\n" +
              kt::cni::renderHelp(kt::cni::networkConfigKeys()) +
              "\nInvoked as kuma-cni (argv[0]) it is the plugin without this command line.");
  cniInstall->footer("\n" + kt::cni::renderHelp(kt::cni::installerEnvironment()) +
                     "\nInvoked as install-cni (argv[0]) it is the installer.");

  try {
    cli.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    // Help is success; any other parse error is bad input.
    if (cli.exit(e) == 0) return kExitOk;
    suggestAfterParseError(*args);
    return kExitConfig;
  }

  if (version->parsed()) {
    std::printf("kuma-tproxy %s\n", KT_VERSION);
    return std::fflush(stdout) == 0 ? kExitOk : kExitRuntime;
  }
  // The CNI side configures itself from CNI_* / installer variables (docs/cni.md).
  if (cni->parsed()) return kt::cni::runPlugin();
  if (cniInstall->parsed()) return kt::cni::runInstaller();
  if (cniReady->parsed()) return kt::cni::runReadyCheck();

  // Logging: the subcommand's --log-level / --log-format win over the global ones.
  kt::app::LogOptions logOpts;
  const kt::config::InstallFlags* flags = install->parsed() ? &*installFlags : nullptr;
  if (verify->parsed()) flags = &*verifyFlags;
  std::string subLevel = uninstall->parsed() ? uninstallOpts->logLevel : flags->logLevel();
  std::string subFormat = uninstall->parsed() ? uninstallOpts->logFormat : flags->logFormat();
  if (!subLevel.empty()) logLevel = subLevel;
  if (!subFormat.empty()) logFormat = subFormat;
  if (!logLevel.empty()) logOpts.level = logLevel;
  if (!logFormat.empty()) logOpts.format = logFormat;
  // main() set up the default logging already; only other options need a new logger.
  const kt::app::LogOptions defaults;
  kt::Status logStatus;
  if (logOpts.level != defaults.level || logOpts.format != defaults.format ||
      logOpts.file != defaults.file) {
    logStatus = kt::app::setupLogging(logOpts);
  }
  // A bad log option is reported together with the configuration problems below.
  if (!logStatus) report(logStatus.error());

  if (uninstall->parsed()) {
    kt::config::LoadRequest req;
    req.flags = uninstallOpts->settings.given();
    req.uninstall = true;
    auto s = kt::app::runUninstall(req, uninstallOpts->ebpfAll->count() > 0);
    if (!logStatus) return kExitConfig;
    return s ? kExitOk : report(s.error());
  }

  kt::config::LoadRequest req = flags->request();
  req.environment = processEnvironment();
  req.readStdin = readStdin;
  auto verifyFlag = flags->verify();
  if (!verifyFlag) report(verifyFlag.error());
  if (!logStatus || !verifyFlag) {
    // Still load the configuration so that all problems of the run are reported at once.
    if (auto loaded = kt::config::load(req); !loaded) report(loaded.error());
    return kExitConfig;
  }
  auto outcome = kt::app::runInstall(req, verify->parsed() || *verifyFlag, allowHostNamespace);
  if (!outcome) return report(outcome.error());
  return *outcome == kt::app::InstallOutcome::kVerifyDiffers ? kExitRuntime : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto s = kt::app::setupLogging({}); !s) return kExitRuntime;
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return kExitRuntime;
  }
}
