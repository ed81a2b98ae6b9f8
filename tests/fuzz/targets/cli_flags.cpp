// The install command line: CLI11 with our flags (config/cli.h), then config::load, as main()
// does. One argument per line (NUL-separated when the input holds a NUL byte). Paths of input
// files are replaced by in-memory inputs so that a fuzzed path is never opened.
#include <CLI/CLI.hpp>

#include "config/cli.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);
  char sep = text.find('\0') == std::string_view::npos ? '\n' : '\0';
  std::vector<std::string> args = {"kuma-tproxy", "install"};
  if (!text.empty()) {
    for (auto& a : fuzz::splitFields(text, sep))
      args.push_back(std::move(a));
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());

  CLI::App cli{"fuzz", "kuma-tproxy"};
  cli.require_subcommand(1);
  auto* install = cli.add_subcommand("install", "install");
  config::InstallFlags flags(*install);
  try {
    cli.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return 0;  // main() prints CLI11's message and exits 2 (or 0 for --help)
  }

  if (auto v = flags.verify(); !v) fuzz::checkConfigError(v.error());
  config::LoadRequest req = flags.request();
  static const std::string kConfigText = "redirect:\n  dns:\n    enabled: true\n";
  static const std::string kAnnotations = "kuma.io/sidecar-uid=\"5678\"\n";
  auto annotations = fuzz::MemFile::make(kAnnotations);
  if (!annotations) fuzz::fail("memfd", annotations.error().message());
  if (!req.configFile.empty()) req.configFile = "-";
  if (!req.annotationsFile.empty()) req.annotationsFile = annotations->path();
  if (!req.podManifest.empty()) req.podManifest = "-";
  req.readStdin = fuzz::stdinFrom(kConfigText);
  fuzz::checkLoad(config::load(req));
  return 0;
}
