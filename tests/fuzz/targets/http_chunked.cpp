// libFuzzer target: the incremental chunked-transfer decoder and the response parser, fed in
// pieces whose sizes the input chooses. The first byte picks the piece size pattern; the rest is
// the chunked body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cni/http_response.h"
#include "fuzz_support.h"

namespace {

struct Outcome {
  bool ok = false, done = false;
  size_t used = 0;
  std::string body;
};

Outcome decode(std::string_view coded, size_t step) {
  kt::cni::ChunkedDecoder d;
  Outcome o;
  for (size_t pos = 0; pos < coded.size() && !d.done(); pos += step) {
    auto n = d.feed(coded.substr(pos, step), o.body);
    if (!n) return o;
    o.used += *n;
    if (*n > step || *n > coded.size() - pos) kt::fuzz::fail("consumed more than it was given");
  }
  o.ok = true;
  o.done = d.done();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kt::fuzz::quietLogging();
  if (size == 0) return 0;
  std::string_view coded = kt::fuzz::asText(data + 1, size - 1);
  size_t step = 1 + data[0] % 64;
  // Where the bytes are cut must not matter: one byte at a time, the chosen step, all at once.
  Outcome all = decode(coded, coded.size() + 1);
  for (size_t s : {size_t{1}, step}) {
    Outcome piece = decode(coded, s);
    if (piece.ok != all.ok || piece.done != all.done) kt::fuzz::fail("outcome depends on pieces");
    if (all.ok && (piece.body != all.body || piece.used != all.used)) {
      kt::fuzz::fail("decoded body depends on pieces");
    }
  }
  if (all.body.size() > kt::cni::kMaxBodyBytes) kt::fuzz::fail("body over the limit");

  // The same bytes as the body of a response, through the parser in pieces.
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(coded);
  kt::cni::HttpResponseParser p;
  bool complete = false, failed = false;
  for (size_t pos = 0; pos < wire.size() && !complete; pos += step) {
    auto r = p.feed(std::string_view(wire).substr(pos, step));
    if (!r) {
      failed = true;
      break;
    }
    complete = *r;
  }
  if (!failed && complete != all.done) kt::fuzz::fail("parser and decoder disagree on the end");
  if (complete && p.take().body != all.body) kt::fuzz::fail("parser and decoder disagree");
  return 0;
}
