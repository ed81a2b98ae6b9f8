#include "cni/http_response.h"

#include <algorithm>
#include <charconv>

#include "base/strings.h"

namespace kt::cni {

namespace {

Error malformed(const std::string& what) {
  return Error::runtime("malformed HTTP response: " + what);
}

Error tooLarge() {
  return malformed("body larger than " + std::to_string(kMaxBodyBytes) + " bytes");
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lowerName) const {
  for (const auto& [k, v] : headers)
    if (k == lowerName) return v;
  return std::nullopt;
}

Status ChunkedDecoder::endOfSizeLine(std::string& body) {
  std::string_view line = line_;
  line.remove_suffix(2);  // CRLF
  if (auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
  line = trim(line);
  size_t size = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (line.empty() || ec != std::errc() || ptr != line.data() + line.size()) {
    return malformed("bad chunk size");
  }
  if (size > kMaxBodyBytes || body.size() + size > kMaxBodyBytes) return tooLarge();
  line_.clear();
  remaining_ = size;
  state_ = size == 0 ? State::kTrailer : State::kData;
  if (size > 0) body.reserve(body.size() + size);
  return okStatus();
}

Result<size_t> ChunkedDecoder::feed(std::string_view data, std::string& body) {
  size_t pos = 0;
  while (pos < data.size() && state_ != State::kDone) {
    if (state_ == State::kData) {
      size_t n = std::min(remaining_, data.size() - pos);
      body.append(data.substr(pos, n));
      pos += n;
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::kDataEnd;
      continue;
    }
    // The other states read lines; a line ends at LF and must end with CRLF.
    char c = data[pos++];
    line_ += c;
    if (state_ == State::kDataEnd) {
      if (line_ == "\r") continue;
      if (line_ != "\r\n") return malformed("chunk not followed by CRLF");
      line_.clear();
      state_ = State::kSizeLine;
      continue;
    }
    if (state_ == State::kTrailer && ++trailerBytes_ > kMaxHeaderBytes) {
      return malformed("trailer section larger than 64 KiB");
    }
    if (c != '\n') {
      if (state_ == State::kSizeLine && line_.size() > kMaxChunkLineBytes) {
        return malformed("chunk size line too long");
      }
      continue;
    }
    if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
      return malformed("line in a chunked body not ended by CRLF");
    }
    if (state_ == State::kSizeLine) {
      KT_TRY(endOfSizeLine(body));
      continue;
    }
    // Trailer: field lines until an empty one.
    if (line_ == "\r\n") state_ = State::kDone;
    line_.clear();
  }
  return pos;
}

Result<bool> HttpResponseParser::parseHead() {
  auto headEnd = head_.find("\r\n\r\n");
  std::string_view head = std::string_view(head_).substr(0, headEnd);
  auto lines = split(head, '\n');
  HttpResponse& r = response_;
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
  std::string rest = head_.substr(headEnd + 4);
  head_.clear();
  head_.shrink_to_fit();
  headDone_ = true;

  // 1xx, 204 and 304 have no body.
  if (r.status < 200 || r.status == 204 || r.status == 304) {
    complete_ = true;
    return true;
  }
  if (auto te = r.header("transfer-encoding")) {
    if (toLower(*te) != "chunked") return malformed("unsupported transfer-encoding");
    framing_ = Framing::kChunked;
  } else if (auto cl = r.header("content-length")) {
    auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length_);
    if (cl->empty() || ec != std::errc() || ptr != cl->data() + cl->size()) {
      return malformed("bad content-length");
    }
    if (length_ > kMaxBodyBytes) return tooLarge();
    framing_ = Framing::kLength;
    r.body.reserve(length_);
  } else {
    framing_ = Framing::kUntilClose;  // no framing: the body ends with the connection
  }
  return feedBody(rest);
}

Result<bool> HttpResponseParser::feedBody(std::string_view data) {
  std::string& body = response_.body;
  switch (framing_) {
    case Framing::kChunked:
      KT_TRY(chunked_.feed(data, body));
      complete_ = chunked_.done();
      break;
    case Framing::kLength:
      body.append(data.substr(0, length_ - body.size()));
      complete_ = body.size() == length_;
      break;
    case Framing::kUntilClose:
      if (body.size() + data.size() > kMaxBodyBytes) return tooLarge();
      body.append(data);
      break;
    case Framing::kNone:
      break;
  }
  return complete_;
}

Result<bool> HttpResponseParser::feed(std::string_view data) {
  if (complete_) return true;
  if (headDone_) return feedBody(data);
  // Look for the end of the header only where it can newly appear: from three bytes before
  // what was already searched.
  size_t from = head_.size() < 3 ? 0 : head_.size() - 3;
  head_.append(data);
  auto headEnd = head_.find("\r\n\r\n", from);
  if (headEnd == std::string::npos) {
    if (head_.size() > kMaxHeaderBytes) return malformed("header larger than 64 KiB");
    return false;
  }
  if (headEnd > kMaxHeaderBytes) return malformed("header larger than 64 KiB");
  return parseHead();
}

Status HttpResponseParser::finish() {
  if (complete_) return okStatus();
  if (!headDone_) return malformed("connection closed before the end of the header");
  switch (framing_) {
    case Framing::kChunked:
      return malformed("connection closed inside a chunked body");
    case Framing::kLength:
      return malformed("connection closed before the end of the body");
    default:
      complete_ = true;
      return okStatus();
  }
}

Result<std::optional<HttpResponse>> parseHttpResponse(std::string_view data, bool eof) {
  HttpResponseParser p;
  KT_ASSIGN_OR_RETURN(bool done, p.feed(data));
  if (!done) {
    if (!eof) return std::optional<HttpResponse>();
    KT_TRY(p.finish());
  }
  return std::optional<HttpResponse>(p.take());
}

}  // namespace kt::cni
