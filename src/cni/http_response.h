// Incremental parsing of an HTTP/1.1 response (status line, headers, body framed by
// Content-Length, chunked transfer coding, or the end of the connection). Pure code, no I/O, so
// it is unit tested and fuzzed on its own.
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

// Parses what has been received so far. Returns nullopt when more bytes are needed (and `eof` is
// false), the response when complete, and a kRuntime error when the bytes are not a valid
// response, exceed the limits above, or end early (`eof` true before the framing says done).
Result<std::optional<HttpResponse>> parseHttpResponse(std::string_view data, bool eof);

}  // namespace kt::cni
