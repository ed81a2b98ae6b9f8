#include <gtest/gtest.h>

#include <cstdio>

#include "cni/http_response.h"

namespace kt::cni {
namespace {

TEST(HttpResponse, ContentLength) {
  std::string full =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t cut = 0; cut < full.size(); ++cut) {
    auto partial = parseHttpResponse(std::string_view(full).substr(0, cut), false);
    ASSERT_TRUE(partial.ok()) << cut;
    EXPECT_FALSE(partial->has_value()) << cut;
  }
  auto r = parseHttpResponse(full, false);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, 200);
  EXPECT_EQ((*r)->reason, "OK");
  EXPECT_EQ((*r)->body, "hello");
  EXPECT_EQ((*r)->header("content-type"), "application/json");
  // Early EOF is an error.
  EXPECT_FALSE(parseHttpResponse(std::string_view(full).substr(0, full.size() - 1), true).ok());
}

TEST(HttpResponse, Chunked) {
  std::string full =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n";
  for (size_t cut = 0; cut < full.size(); ++cut) {
    auto partial = parseHttpResponse(std::string_view(full).substr(0, cut), false);
    ASSERT_TRUE(partial.ok()) << cut << ": " << partial.error().message();
    EXPECT_FALSE(partial->has_value()) << cut;
  }
  auto r = parseHttpResponse(full, false);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->body, "Wikipedia in \r\n\r\nchunks.");
}

TEST(HttpResponse, BodyUntilEof) {
  std::string full = "HTTP/1.0 500 Internal Server Error\r\n\r\noops";
  auto notYet = parseHttpResponse(full, false);
  ASSERT_TRUE(notYet.ok());
  EXPECT_FALSE(notYet->has_value());
  auto r = parseHttpResponse(full, true);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, 500);
  EXPECT_EQ((*r)->body, "oops");
}

TEST(HttpResponse, NoBodyStatuses) {
  auto r = parseHttpResponse("HTTP/1.1 204 No Content\r\n\r\n", false);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, 204);
}

TEST(HttpResponse, Malformed) {
  const char* bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
  };
  for (const char* text : bad) {
    EXPECT_FALSE(parseHttpResponse(text, true).ok()) << text;
  }
  EXPECT_FALSE(parseHttpResponse(std::string(kMaxHeaderBytes + 10, 'x'), false).ok());
}

// The decoder keeps its place between pieces: fed one byte at a time it produces the same body
// as fed at once, and stops exactly after the trailer.
TEST(ChunkedDecoder, ByteByByteEqualsAllAtOnce) {
  const std::string coded =
      "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nEXTRA";
  ChunkedDecoder whole;
  std::string body;
  auto used = whole.feed(coded, body);
  ASSERT_TRUE(used.ok()) << used.error().message();
  EXPECT_TRUE(whole.done());
  EXPECT_EQ(*used, coded.size() - 5) << "stops before what follows the body";
  EXPECT_EQ(body, "Wikipedia in \r\n\r\nchunks.");

  ChunkedDecoder bytes;
  std::string body2;
  size_t consumed = 0;
  for (size_t i = 0; i < coded.size() && !bytes.done(); ++i) {
    auto n = bytes.feed(std::string_view(coded).substr(i, 1), body2);
    ASSERT_TRUE(n.ok()) << i << ": " << n.error().message();
    consumed += *n;
  }
  EXPECT_TRUE(bytes.done());
  EXPECT_EQ(consumed, coded.size() - 5);
  EXPECT_EQ(body2, body);
}

TEST(ChunkedDecoder, RefusesMalformedCodings) {
  for (const char* bad : {"ZZ\r\n", "2\r\nabX", "2\nab\r\n", "-1\r\n", "\r\n"}) {
    ChunkedDecoder d;
    std::string body;
    EXPECT_FALSE(d.feed(bad, body).ok()) << bad;
  }
  ChunkedDecoder longLine;
  std::string body;
  EXPECT_FALSE(longLine.feed(std::string(kMaxChunkLineBytes + 1, '1'), body).ok());
  ChunkedDecoder huge;
  EXPECT_FALSE(huge.feed("FFFFFFFFF\r\n", body).ok()) << "larger than the body limit";
  // A trailer section that never ends is bounded too.
  ChunkedDecoder trailer;
  std::string t = "0\r\n";
  for (int i = 0; i < 10000; ++i)
    t += "X-Pad: 0123456789\r\n";
  EXPECT_FALSE(trailer.feed(t, body).ok());
}

// A large body in many small chunks, delivered in pieces that cut lines and data anywhere, as a
// TLS stream delivers it.
TEST(HttpResponseParser, LargeChunkedBodyInOddPieces) {
  std::string expected;
  for (int i = 0; expected.size() < (4u << 20); ++i)
    expected += "{\"line\":" + std::to_string(i) + "}\n";
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t pos = 0; pos < expected.size(); pos += 1000) {
    std::string piece = expected.substr(pos, 1000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    wire += std::string(size) + "\r\n" + piece + "\r\n";
  }
  wire += "0\r\n\r\n";
  HttpResponseParser p;
  bool done = false;
  for (size_t pos = 0, step = 1; pos < wire.size() && !done; pos += step, step = step % 4093 + 7) {
    auto r = p.feed(std::string_view(wire).substr(pos, step));
    ASSERT_TRUE(r.ok()) << pos << ": " << r.error().message();
    done = *r;
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(p.take().body, expected);
}

TEST(HttpResponseParser, EndOfConnection) {
  HttpResponseParser untilClose;
  ASSERT_TRUE(untilClose.feed("HTTP/1.1 200 OK\r\n\r\nabc").ok());
  ASSERT_TRUE(untilClose.feed("def").ok());
  ASSERT_TRUE(untilClose.finish().ok());
  EXPECT_EQ(untilClose.take().body, "abcdef");

  HttpResponseParser cut;
  ASSERT_TRUE(cut.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").ok());
  EXPECT_FALSE(cut.finish().ok());
  HttpResponseParser noHead;
  ASSERT_TRUE(noHead.feed("HTTP/1.1 200 OK\r\n").ok());
  EXPECT_FALSE(noHead.finish().ok());
}

}  // namespace
}  // namespace kt::cni
