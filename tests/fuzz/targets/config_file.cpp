// The config file (YAML or JSON with Kuma's schema names), read from stdin through config::load
// exactly as `--config-file -` does.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  std::string text(fuzz::asText(data, size));
  config::LoadRequest req;
  req.configFile = "-";
  req.readStdin = fuzz::stdinFrom(text);
  // The eBPF backend needs the pod's IP; give it one so such configurations get rendered too.
  req.environment["INSTANCE_IP"] = "10.244.0.7";
  fuzz::checkLoad(config::load(req));
  return 0;
}
