// kuma-tproxy: transparent-proxy set-up for Kuma / Kong Mesh pods.
//
// main() alone turns errors into exit codes: 0 done, 1 runtime failure, 2 bad configuration.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/logging.h"
#include "cni/entry.h"
#include "version.h"

int main(int argc, char** argv) {
  if (auto s = kt::app::setupLogging({}); !s) return 1;
  // Invoked as kuma-cni (the CNI runtime executes the plugin by its type name): CNI protocol.
  if (std::string_view name = argv[0]; name.substr(name.rfind('/') + 1) == "kuma-cni") {
    return kt::cni::runPlugin();
  }
  try {
    CLI::App app{"kuma-tproxy: transparent proxy for Kuma / Kong Mesh pods", "kuma-tproxy"};
    app.require_subcommand(1);
    auto* version = app.add_subcommand("version", "Print the version");
    version->callback([] { std::printf("kuma-tproxy %s\n", KT_VERSION); });
    auto* cni = app.add_subcommand("cni", "Run as the CNI plugin kuma-cni (CNI_* env, stdin)");
    auto* cniInstall =
        app.add_subcommand("cni-install", "Install kuma-cni on this node and keep it chained");
    CLI11_PARSE(app, argc, argv);
    if (*cni) return kt::cni::runPlugin();
    if (*cniInstall) return kt::cni::runInstaller();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return 1;
  }
}
