// KUMA_TRANSPARENT_PROXY_* environment variables (and the eBPF instance-IP variable) through
// config::load. One `NAME=VALUE` per line; when the input holds a NUL byte, entries are
// NUL-separated instead, so values may contain line breaks.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);
  char sep = text.find('\0') == std::string_view::npos ? '\n' : '\0';
  config::LoadRequest req;
  for (const auto& entry : fuzz::splitFields(text, sep)) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;  // not an environment entry
    req.environment[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  fuzz::checkLoad(config::load(req));
  return 0;
}
