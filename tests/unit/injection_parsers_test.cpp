// Regression tests for fuzzing findings in the input parsers (docs/fuzz.md lists them); each
// finding's input is also in the corpus of the target that found it (tests/fuzz/corpus/).
#include <gtest/gtest.h>

#include "config/annotations.h"
#include "config/config_file.h"
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

}  // namespace
}  // namespace kt::config::testing
