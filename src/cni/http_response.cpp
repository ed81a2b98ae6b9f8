#include "cni/http_response.h"

#include <charconv>

#include "base/strings.h"

namespace kt::cni {

namespace {

using Parsed = std::optional<HttpResponse>;

Error malformed(const std::string& what) {
  return Error::runtime("malformed HTTP response: " + what);
}

// Decodes a chunked body starting at `data`. nullopt = incomplete.
Result<std::optional<std::string>> dechunk(std::string_view data) {
  std::string body;
  size_t pos = 0;
  for (;;) {
    auto eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (data.size() - pos > 1024) return malformed("chunk size line too long");
      return std::optional<std::string>();
    }
    std::string_view line = data.substr(pos, eol - pos);
    if (auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
    line = trim(line);
    size_t size = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc() || ptr != line.data() + line.size()) {
      return malformed("bad chunk size");
    }
    if (size > kMaxBodyBytes || body.size() + size > kMaxBodyBytes) {
      return malformed("body larger than " + std::to_string(kMaxBodyBytes) + " bytes");
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer section: header lines until an empty line.
      for (;;) {
        auto end = data.find("\r\n", pos);
        if (end == std::string_view::npos) return std::optional<std::string>();
        if (end == pos) return std::optional<std::string>(std::move(body));
        pos = end + 2;
      }
    }
    if (data.size() - pos < size + 2) return std::optional<std::string>();
    body.append(data.substr(pos, size));
    if (data.substr(pos + size, 2) != "\r\n") return malformed("chunk not followed by CRLF");
    pos += size + 2;
  }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lowerName) const {
  for (const auto& [k, v] : headers)
    if (k == lowerName) return v;
  return std::nullopt;
}

Result<Parsed> parseHttpResponse(std::string_view data, bool eof) {
  auto headEnd = data.find("\r\n\r\n");
  if (headEnd == std::string_view::npos) {
    if (data.size() > kMaxHeaderBytes) return malformed("header larger than 64 KiB");
    if (eof) return malformed("connection closed before the end of the header");
    return Parsed();
  }
  if (headEnd > kMaxHeaderBytes) return malformed("header larger than 64 KiB");
  auto lines = split(data.substr(0, headEnd), '\n');
  HttpResponse r;
  // Status line: HTTP/1.x SP 3DIGIT SP reason
  std::string_view status = lines[0];
  if (!status.empty() && status.back() == '\r') status.remove_suffix(1);
  if (!startsWith(status, "HTTP/1.") || status.size() < 12 || status[8] != ' ') {
    return malformed("bad status line");
  }
  std::string_view code = status.substr(9, 3);
  for (char c : code)
    if (c < '0' || c > '9') return malformed("bad status code");
  r.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (status.size() > 12) {
    if (status[12] != ' ') return malformed("bad status line");
    r.reason = std::string(status.substr(13));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return malformed("bad header line");
    std::string name = toLower(line.substr(0, colon));
    for (char c : name)
      if (c == ' ' || c == '\t') return malformed("blank in header name");
    r.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  }
  std::string_view rest = data.substr(headEnd + 4);

  // 1xx, 204 and 304 have no body.
  if (r.status < 200 || r.status == 204 || r.status == 304) return Parsed(std::move(r));

  if (auto te = r.header("transfer-encoding")) {
    if (toLower(*te) != "chunked") return malformed("unsupported transfer-encoding");
    KT_ASSIGN_OR_RETURN(auto body, dechunk(rest));
    if (!body) {
      if (eof) return malformed("connection closed inside a chunked body");
      return Parsed();
    }
    r.body = std::move(*body);
    return Parsed(std::move(r));
  }
  if (auto cl = r.header("content-length")) {
    size_t length = 0;
    auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (cl->empty() || ec != std::errc() || ptr != cl->data() + cl->size()) {
      return malformed("bad content-length");
    }
    if (length > kMaxBodyBytes) {
      return malformed("body larger than " + std::to_string(kMaxBodyBytes) + " bytes");
    }
    if (rest.size() < length) {
      if (eof) return malformed("connection closed before the end of the body");
      return Parsed();
    }
    r.body = std::string(rest.substr(0, length));
    return Parsed(std::move(r));
  }
  // No framing: the body ends with the connection.
  if (rest.size() > kMaxBodyBytes) {
    return malformed("body larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (!eof) return Parsed();
  r.body = std::string(rest);
  return Parsed(std::move(r));
}

}  // namespace kt::cni
