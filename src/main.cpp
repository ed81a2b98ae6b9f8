// kuma-tproxy: transparent-proxy set-up for Kuma / Kong Mesh pods.
//
// main() alone turns errors into exit codes: 0 done, 1 runtime failure, 2 bad configuration.
#include <cstdio>
#include <exception>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/logging.h"
#include "version.h"

int main(int argc, char** argv) {
  if (auto s = kt::app::setupLogging({}); !s) return 1;
  try {
    CLI::App app{"kuma-tproxy: transparent proxy for Kuma / Kong Mesh pods", "kuma-tproxy"};
    app.require_subcommand(1);
    auto* version = app.add_subcommand("version", "Print the version");
    version->callback([] { std::printf("kuma-tproxy %s\n", KT_VERSION); });
    CLI11_PARSE(app, argc, argv);
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return 1;
  }
}
