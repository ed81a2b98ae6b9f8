// Regression tests for fuzzing findings in the input parsers (docs/fuzz.md lists them); each
// finding's input is also in the corpus of the target that found it (tests/fuzz/corpus/).
#include <gtest/gtest.h>

#include "config/annotations.h"
#include "config/config_file.h"
#include "config/values.h"
#include "injection_support.h"

namespace kt::config::testing {
namespace {

// Found by the config_file target: yaml-cpp copies the offending input byte into some messages
// ("unknown escape character: <byte>"), so a document could put raw control bytes (line breaks,
// terminal escapes) into our error output.
TEST(InjectionParsers, YamlErrorMessagesEscapeInputBytes) {
  const std::string badEscape = "a: \"\\\x1b[2J\"\n";
  const std::string nulEscape = std::string("a: &x [*x]") + std::string(3, '\0') + "\n";
  for (const auto& doc : {badEscape, nulEscape}) {
    Problems problems;
    configFileAssignments(doc, "-", problems);
    ASSERT_FALSE(problems.empty()) << quoteForMessage(doc);
    for (const auto& line : problems.lines())
      EXPECT_EQ(stderrDefects(line), "") << quoteForMessage(line);
  }
  Problems problems;
  Annotations out;
  readPodManifest("kind: Pod\nmetadata:\n  annotations:\n    a: \"\\\x1b[2J\\\n-A OUTPUT\"\n",
                  "pod.yaml", out, problems);
  ASSERT_FALSE(problems.empty());
  for (const auto& line : problems.lines()) {
    EXPECT_EQ(stderrDefects(line), "") << quoteForMessage(line);
    EXPECT_NE(line.find("unknown escape character: \\x1b"), std::string::npos) << line;
  }
}

// Found by the setting_value target: durations were summed in floating point, so ".51m3s" (Go:
// 33.6s) became 33.599999..s and was truncated to 33599 ms, and the canonical text of a value
// did not always parse back to it.
TEST(InjectionParsers, DurationsUseGoArithmetic) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parseGoDuration(".51m3s").value(), milliseconds(33600));
  EXPECT_EQ(parseGoDuration("0.51m").value(), milliseconds(30600));
  EXPECT_EQ(parseGoDuration("1.001s").value(), milliseconds(1001));
  EXPECT_EQ(parseGoDuration("0.1h").value(), milliseconds(360000));
  EXPECT_EQ(parseGoDuration("1.0000000000000000000000001s").value(), milliseconds(1000));
  EXPECT_EQ(parseGoDuration("999999us").value(), milliseconds(999));  // truncated, as documented
  for (int64_t ms = 0; ms <= 3600 * 1000; ms += ms < 5000 ? 1 : 997) {
    auto text = formatGoDuration(milliseconds(ms));
    auto back = parseGoDuration(text);
    ASSERT_TRUE(back.ok()) << text;
    ASSERT_EQ(back->count(), ms) << text;
  }
  // Past 2^63 ns is too long (never an overflow), and the syntax of the rest is still checked.
  EXPECT_NE(parseGoDuration("99999999999999999999h").error().message().find("too long"),
            std::string::npos);
  EXPECT_NE(parseGoDuration("9999999999h1x").error().message().find("not a valid duration"),
            std::string::npos);
}

}  // namespace
}  // namespace kt::config::testing
