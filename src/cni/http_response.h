// Incremental parsing of an HTTP/1.1 response (status line, headers, body framed by
// Content-Length, chunked transfer coding, or the end of the connection). Pure code, no I/O, so
// it is unit tested and fuzzed on its own.
//
// Every byte is looked at a bounded number of times whatever the pieces it arrives in: the
// parser keeps its position between feed() calls instead of re-reading what it has seen, so a
// server that sends a large body in many small pieces costs linear time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace kt::cni {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> header(std::string_view lowerName) const;
};

inline constexpr size_t kMaxHeaderBytes = 64 << 10;
inline constexpr size_t kMaxBodyBytes = 16 << 20;
inline constexpr size_t kMaxChunkLineBytes = 1024;

// Decodes the chunked transfer coding (RFC 9112 section 7.1) as the bytes arrive: chunk-size
// lines (extensions ignored), chunk data each followed by CRLF, a zero-size last chunk and a
// trailer section ending with an empty line (trailer fields are skipped).
class ChunkedDecoder {
 public:
  // Consumes bytes from `data`, appending decoded data to `body`. Returns how many bytes were
  // consumed: all of them until the end of the chunked body, which is where it stops (what
  // follows is not part of the body). kRuntime errors for a malformed coding, a size line or a
  // trailer longer than the limits above, or a body that would exceed kMaxBodyBytes.
  Result<size_t> feed(std::string_view data, std::string& body);
  // True once the last chunk and the trailer section have been consumed.
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailer, kDone };
  Status endOfSizeLine(std::string& body);

  State state_ = State::kSizeLine;
  std::string line_;      // the size line, the CRLF after data or a trailer line, so far
  size_t remaining_ = 0;  // data bytes left in the current chunk
  size_t trailerBytes_ = 0;
};

// Parses a response as it arrives: feed() every piece read from the connection, finish() when
// the connection ended.
class HttpResponseParser {
 public:
  // Returns true once the response is complete (later bytes are ignored). kRuntime errors when
  // the bytes are not a valid response or exceed the limits above.
  Result<bool> feed(std::string_view data);
  // The connection ended: completes a response whose body runs to the end of the connection,
  // and is a kRuntime error when the framing says more was to come.
  Status finish();
  bool complete() const { return complete_; }
  // The response; only after feed() returned true or finish() succeeded.
  HttpResponse take() { return std::move(response_); }

 private:
  enum class Framing { kNone, kLength, kChunked, kUntilClose };
  Result<bool> parseHead();
  Result<bool> feedBody(std::string_view data);

  std::string head_;  // the header section, while it is incomplete
  bool headDone_ = false;
  bool complete_ = false;
  Framing framing_ = Framing::kNone;
  size_t length_ = 0;  // Content-Length
  ChunkedDecoder chunked_;
  HttpResponse response_;
};

// One-shot form of HttpResponseParser for a buffer holding everything received so far. Returns
// nullopt when more bytes are needed (and `eof` is false), the response when complete, and a
// kRuntime error when the bytes are not a valid response, exceed the limits above, or end early
// (`eof` true before the framing says done).
Result<std::optional<HttpResponse>> parseHttpResponse(std::string_view data, bool eof);

}  // namespace kt::cni
