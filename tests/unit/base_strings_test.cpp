// The shared helpers in src/base: quoting for messages and YAML, splitting, bounded file reads.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/read_file.h"
#include "base/strings.h"
#include "config_test_support.h"

namespace kt {
namespace {

using ::testing::HasSubstr;

// split() returns views into its argument, so a temporary std::string must not compile.
template <class T>
constexpr bool kSplittable = requires(T&& t) {
  split(static_cast<T&&>(t), ',');
};
static_assert(!kSplittable<std::string>);  // a temporary
static_assert(kSplittable<const std::string&>);
static_assert(kSplittable<std::string&>);
static_assert(kSplittable<const char*>);
static_assert(kSplittable<std::string_view>);

TEST(EscapeQuoted, EscapesTheQuoteBackslashAndControlBytes) {
  EXPECT_EQ(escapeQuoted("plain", '"'), "\"plain\"");
  EXPECT_EQ(escapeQuoted("a\"b'c\\d", '"'), "\"a\\\"b'c\\\\d\"");
  EXPECT_EQ(escapeQuoted("a\"b'c", '\''), "'a\"b\\'c'");
  EXPECT_EQ(escapeQuoted(std::string_view("\n\t\x7f\0x", 5), '"'), "\"\\x0a\\x09\\x7f\\x00x\"");
  EXPECT_EQ(escapeQuoted("", '"'), "\"\"");
}

TEST(EscapeControl, EscapesOnlyControlBytes) {
  EXPECT_EQ(escapeControl("a\"b'c\\d"), "a\"b'c\\d");
  EXPECT_EQ(escapeControl(std::string_view("x\r\n\x1b[2J\x7f\0", 9)),
            "x\\x0d\\x0a\\x1b[2J\\x7f\\x00");
  EXPECT_EQ(escapeControl(""), "");
}

TEST(EscapeJson, EscapesWhatJsonStringsRequire) {
  EXPECT_EQ(escapeJson("say \"hi\" \\ bye"), "say \\\"hi\\\" \\\\ bye");
  EXPECT_EQ(escapeJson("a\nb\rc\td\x01\x1f"), "a\\nb\\rc\\td\\u0001\\u001f");
  // DEL and UTF-8 are valid inside a JSON string.
  EXPECT_EQ(escapeJson("\x7f\xc3\xa9"), "\x7f\xc3\xa9");
}

TEST(QuoteForMessage, ShortValuesAreQuotedWhole) {
  EXPECT_EQ(quoteForMessage("80,x"), "'80,x'");
  EXPECT_EQ(quoteForMessage("-A OUTPUT\n-j ACCEPT"), "'-A OUTPUT\\x0a-j ACCEPT'");
  EXPECT_EQ(quoteForMessage(std::string(64, 'a')), "'" + std::string(64, 'a') + "'");
}

TEST(QuoteForMessage, LongValuesAreCutAndTheirSizeIsStated) {
  EXPECT_EQ(quoteForMessage(std::string(65, 'a')), "'" + std::string(64, 'a') + "...' (65 bytes)");
  std::string big(1 << 20, '\n');
  std::string shown = quoteForMessage(big);
  EXPECT_EQ(shown.find('\n'), std::string::npos);
  EXPECT_THAT(shown, HasSubstr("...' (1048576 bytes)"));
}

TEST(ReadFile, ReadsWholeFilesUpToTheLimit) {
  config::testing::TempFile f(std::string(100000, 'x'));
  auto r = readFile(f.path(), 100000);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->size(), 100000u);
}

TEST(ReadFile, LargerThanTheLimitIsAnErrorThatStatesIt) {
  config::testing::TempFile f(std::string(100001, 'x'));
  auto r = readFile(f.path(), 100000, "the annotations file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kRuntime);
  EXPECT_EQ(r.error().message(),
            "the annotations file is larger than 100000 bytes, the most accepted");
}

TEST(ReadFile, OpenFailuresNameTheFileAndKeepErrno) {
  auto r = readFile("/nonexistent/kt-read-file", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message(),
            "cannot open /nonexistent/kt-read-file: No such file or directory");
}

TEST(Strings, EditDistance) {
  EXPECT_EQ(editDistance("", ""), 0u);
  EXPECT_EQ(editDistance("abc", ""), 3u);
  EXPECT_EQ(editDistance("instal", "install"), 1u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("flaw", "lawn"), 2u);
}

TEST(Strings, ClosestMatchOnlyForTypos) {
  const std::vector<std::string> names = {"install", "uninstall", "verify", "version"};
  EXPECT_EQ(closestMatch("instal", names), "install");
  EXPECT_EQ(closestMatch("verfy", names), "verify");
  EXPECT_EQ(closestMatch("install", names), "");  // an exact name is no typo
  EXPECT_EQ(closestMatch("frobnicate", names), "");
  EXPECT_EQ(didYouMean("unistall", names), " (did you mean 'uninstall'?)");
  EXPECT_EQ(didYouMean("xyz", names), "");
  // Long names tolerate a fifth of their length.
  EXPECT_EQ(closestMatch("--exclude-outbnd-prts", {"--exclude-outbound-ports"}),
            "--exclude-outbound-ports");
}

}  // namespace
}  // namespace kt
