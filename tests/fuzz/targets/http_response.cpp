// libFuzzer target: the HTTP/1.1 response parser, fed whole and in two pieces (the result must
// not depend on how the bytes arrived).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cni/http_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto whole = kt::cni::parseHttpResponse(text, true);
  auto partial = kt::cni::parseHttpResponse(text.substr(0, size / 2), false);
  // A prefix that already parses as complete must be the same response as the whole input.
  if (partial && *partial && whole && *whole && (*partial)->body != (*whole)->body) {
    __builtin_trap();
  }
  return 0;
}
