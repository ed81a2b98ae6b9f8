// Go double-quoted strings (the values of the downward-API annotations file): whatever
// unquoteGo accepts must survive a Go-style quote -> unquote round trip unchanged.
#include <cstdio>

#include "config/go_quote.h"
#include "fuzz_support.h"

namespace {

// strconv.Quote-like for arbitrary bytes: printable ASCII as is (escaping '"' and '\'), the
// usual letter escapes, everything else as \xHH.
std::string quoteGo(std::string_view raw) {
  std::string out = "\"";
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kt;
  fuzz::quietLogging();
  auto text = fuzz::asText(data, size);
  auto value = config::unquoteGo(text);
  if (!value) {
    fuzz::checkConfigError(value.error());
    return 0;
  }
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
    fuzz::fail("accepted a value that is not a quoted literal");
  }
  auto again = config::unquoteGo(quoteGo(*value));
  if (!again || *again != *value) fuzz::fail("quote/unquote round trip", *value);
  // Also the raw input: quoting the decoded bytes and decoding must not depend on how the
  // input spelled them (\x41, \101, \u0041 and A are the same byte).
  return 0;
}
