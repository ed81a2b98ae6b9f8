#include <gtest/gtest.h>

#include "config/go_quote.h"

namespace kt::config {
namespace {

TEST(ConfigGoQuote, PlainAndEmpty) {
  EXPECT_EQ(*unquoteGo("\"\""), "");
  EXPECT_EQ(*unquoteGo("\"enabled\""), "enabled");
  EXPECT_EQ(*unquoteGo("\"a b\tc\""), "a b\tc");  // raw tab is allowed, as in Go
  EXPECT_EQ(*unquoteGo("\"caf\xc3\xa9\""), "caf\xc3\xa9");
}

TEST(ConfigGoQuote, EverySingleCharacterEscape) {
  EXPECT_EQ(*unquoteGo(R"("\a\b\f\n\r\t\v")"), "\a\b\f\n\r\t\v");
  EXPECT_EQ(*unquoteGo(R"("say \"hi\"")"), "say \"hi\"");
  EXPECT_EQ(*unquoteGo(R"("C:\\dir")"), "C:\\dir");
}

TEST(ConfigGoQuote, NumericEscapes) {
  EXPECT_EQ(*unquoteGo(R"("\x41\x7a\xff")"), "Az\xff");
  EXPECT_EQ(*unquoteGo(R"("\101\000\377")"), std::string("A\0\xff", 3));
  EXPECT_EQ(*unquoteGo(R"("\u00e9")"), "\xc3\xa9");
  EXPECT_EQ(*unquoteGo(R"("\u20AC")"), "\xe2\x82\xac");
  EXPECT_EQ(*unquoteGo(R"("\U0001F600")"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(*unquoteGo(R"("\u0041")"), "A");
}

TEST(ConfigGoQuote, Malformed) {
  struct Case {
    const char* in;
    const char* message;
  };
  const Case cases[] = {
      {"enabled", "the value is not a double-quoted string"},
      {"\"enabled", "the value is not a double-quoted string"},
      {"enabled\"", "the value is not a double-quoted string"},
      {"\"", "the value is not a double-quoted string"},
      {"'x'", "the value is not a double-quoted string"},
      {R"("a"b")", "unescaped '\"' inside the quoted value"},
      {"\"a\nb\"", "raw newline inside the quoted value"},
      {R"("a\")", "the value ends inside an escape sequence"},
      {R"("\q")", "unknown escape sequence '\\\\q'"},
      {R"("\'")", "unknown escape sequence '\\\\\\''"},
      {R"("\x4")", "\\x needs two hex digits"},
      {R"("\xg0")", "\\x needs two hex digits"},
      {R"("\u12")", "\\u needs 4 hex digits"},
      {R"("\U0001F60")", "\\U needs 8 hex digits"},
      {R"("\uD800")", "escape '\\\\uD800' is not a valid Unicode code point"},
      {R"("\U00110000")", "escape '\\\\U00110000' is not a valid Unicode code point"},
      {R"("\12")", "octal escape needs three digits"},
      {R"("\18a")", "octal escape needs three digits"},
      {R"("\400")", "octal escape is larger than \\377"},
  };
  for (const auto& c : cases) {
    auto r = unquoteGo(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.error().message(), c.message) << c.in;
  }
}

}  // namespace
}  // namespace kt::config
