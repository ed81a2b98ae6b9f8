#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kt::cni
