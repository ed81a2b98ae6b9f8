#include "base/strings.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace kt {

namespace {
bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && isBlank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back()))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string> splitList(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (auto field : split(s, sep)) {
    field = trim(field);
    if (!field.empty()) out.emplace_back(field);
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// Appends `text` with control bytes as \xNN and, when `quote` is not NUL, a backslash before
// each backslash and `quote`.
void appendEscaped(std::string& out, std::string_view text, char quote) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (quote != '\0' && (c == '\\' || c == quote)) {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string escapeControl(std::string_view text) {
  std::string out;
  appendEscaped(out, text, '\0');
  return out;
}

std::string escapeQuoted(std::string_view value, char quote) {
  std::string out(1, quote);
  appendEscaped(out, value, quote);
  out += quote;
  return out;
}

std::string escapeJson(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string quoteForMessage(std::string_view value) {
  constexpr size_t kMaxShown = 64;
  if (value.size() <= kMaxShown) return escapeQuoted(value, '\'');
  std::string out = escapeQuoted(value.substr(0, kMaxShown), '\'');
  out.insert(out.size() - 1, "...");
  return out + " (" + std::to_string(value.size()) + " bytes)";
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // An exact name is no typo, even when another name is near it.
  if (std::find(candidates.begin(), candidates.end(), word) != candidates.end()) return {};
  const size_t limit = std::max<size_t>(2, word.size() / 5);
  size_t best = limit + 1;
  std::string out;
  for (const auto& c : candidates) {
    // Cheap bound first: the length difference alone is a lower bound of the distance.
    size_t gap = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (gap >= best) continue;
    size_t d = editDistance(word, c);
    if (d < best) {
      best = d;
      out = c;
    }
  }
  return out;
}

std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string match = closestMatch(word, candidates);
  return match.empty() ? "" : " (did you mean " + quoteForMessage(match) + "?)";
}

}  // namespace kt
