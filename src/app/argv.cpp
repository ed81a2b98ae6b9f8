#include "app/argv.h"

#include "base/strings.h"

namespace kt::app {

std::string programName(std::string_view argv0) {
  auto slash = argv0.rfind('/');
  return std::string(slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1));
}

Result<std::vector<std::string>> normalizeArgs(const std::vector<std::string>& args) {
  if (args.empty() || programName(args[0]) != "kumactl") return args;
  if (args.size() == 1) return args;
  const std::string& cmd = args[1];
  if (cmd == "version" || cmd == "--help" || cmd == "-h") return args;
  if ((cmd == "install" || cmd == "uninstall") && args.size() >= 3 &&
      args[2] == "transparent-proxy") {
    std::vector<std::string> out = {args[0], cmd};
    out.insert(out.end(), args.begin() + 3, args.end());
    return out;
  }
  std::string given = cmd;
  if (args.size() >= 3) given += " " + args[2];
  return Error::config(
             "as kumactl, only 'install transparent-proxy' and 'uninstall "
             "transparent-proxy' are supported, not " +
             quoteForMessage(given))
      .hint("run kuma-tproxy --help for the commands of this program");
}

}  // namespace kt::app
