// A pod's annotations as the CNI plugin gets them from the API server: config::fromAnnotations
// in CNI mode. One `key=value` per line; when the input holds a NUL byte, entries are
// NUL-separated instead, so values may contain line breaks.
#include <map>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);
  char sep = text.find('\0') == std::string_view::npos ? '\n' : '\0';
  std::map<std::string, std::string> annotations;
  for (const auto& entry : fuzz::splitFields(text, sep)) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    annotations[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  auto loaded = config::fromAnnotations(annotations, "pod default/web-0", true);
  fuzz::checkLoad(loaded);
  if (loaded && !loaded->run.cniMode) fuzz::fail("CNI mode lost");
  return 0;
}
