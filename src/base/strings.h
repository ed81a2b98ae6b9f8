// Small string helpers shared by the parsers and renderers. Pure functions, no allocation tricks.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace kt {

// Removes ASCII blanks (space, tab, CR, LF, VT, FF) at both ends.
std::string_view trim(std::string_view s);
// Splits on every occurrence of `sep`; keeps empty fields ("a,,b" -> {"a", "", "b"}).
std::vector<std::string_view> split(std::string_view s, char sep);
// The fields point into `s`, so splitting a temporary string would leave them dangling.
// (clang-format 14 mangles requires-clauses.)
// clang-format off
template <class S>
  requires std::same_as<S, std::string>
std::vector<std::string_view> split(S&& s, char sep) = delete;
// clang-format on
// Splits on `sep`, trims each field and drops the empty ones (Kuma's list grammar).
std::vector<std::string> splitList(std::string_view s, char sep = ',');
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool startsWith(std::string_view s, std::string_view prefix);
std::string toLower(std::string_view s);
// The escapers of text that may come from outside, so that it cannot forge log or output lines.
// Control bytes (below 0x20, and 0x7f) become \xNN; everything else is kept.
std::string escapeControl(std::string_view text);
// Wraps `value` in `quote` characters with backslash escapes for the quote, the backslash and
// control bytes (\xNN): valid in a YAML double-quoted scalar, and readable in a message.
std::string escapeQuoted(std::string_view value, char quote);
// The inside of a JSON string: '"', '\\', \n, \r, \t and the other bytes below 0x20 (\u00NN)
// escaped; other bytes kept (UTF-8 passes through).
std::string escapeJson(std::string_view text);
// Renders a value for an error message: quoted, control bytes escaped, long values shortened
// ("'abc\n...' (1048576 bytes)"), so hostile input cannot forge log or output lines.
std::string quoteForMessage(std::string_view value);

// Levenshtein distance (insertions, deletions, substitutions; bytes, not characters).
size_t editDistance(std::string_view a, std::string_view b);
// For "did you mean ...?": the candidate nearest to `word` when it is near enough to be a typo
// (at most 2 edits, or a fifth of the word's length for long words), else "". Ties go to the
// first candidate.
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'X'?)" for closestMatch(word, candidates), or "" when there is none.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kt
