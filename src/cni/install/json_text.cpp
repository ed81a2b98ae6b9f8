#include "cni/install/json_text.h"

#include <nlohmann/json.hpp>

#include "cni/json_parse.h"

namespace kt::cni {

namespace {

constexpr int kMaxDepth = 512;

Error bad(const char* what, size_t pos) {
  return Error::runtime(std::string("JSON text: ") + what + " at byte " + std::to_string(pos));
}

bool isWs(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t skipWs(std::string_view t, size_t pos) {
  while (pos < t.size() && isWs(t[pos]))
    ++pos;
  return pos;
}

// Returns the position after the string starting at `pos` (which holds '"').
Result<size_t> scanString(std::string_view t, size_t pos) {
  for (size_t i = pos + 1; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
      continue;
    }
    if (t[i] == '"') return i + 1;
  }
  return bad("unterminated string", pos);
}

// Returns the position after the value starting at `pos`.
Result<size_t> scanValue(std::string_view t, size_t pos, int depth) {
  if (depth > kMaxDepth) return bad("nesting too deep", pos);
  if (pos >= t.size()) return bad("value expected", pos);
  char c = t[pos];
  if (c == '"') return scanString(t, pos);
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    size_t i = skipWs(t, pos + 1);
    if (i < t.size() && t[i] == close) return i + 1;
    for (;;) {
      if (c == '{') {
        if (i >= t.size() || t[i] != '"') return bad("member name expected", i);
        KT_ASSIGN_OR_RETURN(i, scanString(t, i));
        i = skipWs(t, i);
        if (i >= t.size() || t[i] != ':') return bad("':' expected", i);
        i = skipWs(t, i + 1);
      }
      KT_ASSIGN_OR_RETURN(i, scanValue(t, i, depth + 1));
      i = skipWs(t, i);
      if (i >= t.size()) return bad("unterminated container", pos);
      if (t[i] == close) return i + 1;
      if (t[i] != ',') return bad("',' expected", i);
      i = skipWs(t, i + 1);
    }
  }
  // Number or literal: runs until a delimiter.
  size_t i = pos;
  while (i < t.size() && !isWs(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ':')
    ++i;
  if (i == pos) return bad("value expected", pos);
  return i;
}

// Decodes a member name (with its quotes) for comparison.
std::string decodeKey(std::string_view quoted) {
  if (quoted.find('\\') == std::string_view::npos) {
    return std::string(quoted.substr(1, quoted.size() - 2));
  }
  auto j = parseJson(quoted, "a member name");
  return j && j->is_string() ? j->get<std::string>() : std::string();
}

}  // namespace

Result<TextSpan> rootValue(std::string_view text) {
  size_t begin = skipWs(text, 0);
  KT_ASSIGN_OR_RETURN(size_t end, scanValue(text, begin, 0));
  if (skipWs(text, end) != text.size()) return bad("garbage after the value", end);
  return TextSpan{begin, end};
}

Result<std::optional<TextSpan>> findMember(std::string_view text, TextSpan object,
                                           std::string_view key) {
  if (object.begin >= text.size() || text[object.begin] != '{') return bad("not an object", 0);
  std::optional<TextSpan> found;
  size_t i = skipWs(text, object.begin + 1);
  if (i < text.size() && text[i] == '}') return found;
  for (;;) {
    if (i >= text.size() || text[i] != '"') return bad("member name expected", i);
    KT_ASSIGN_OR_RETURN(size_t keyEnd, scanString(text, i));
    std::string name = decodeKey(text.substr(i, keyEnd - i));
    i = skipWs(text, keyEnd);
    if (i >= text.size() || text[i] != ':') return bad("':' expected", i);
    i = skipWs(text, i + 1);
    KT_ASSIGN_OR_RETURN(size_t valueEnd, scanValue(text, i, 1));
    if (name == key) found = TextSpan{i, valueEnd};
    i = skipWs(text, valueEnd);
    if (i >= text.size()) return bad("unterminated object", object.begin);
    if (text[i] == '}') return found;
    if (text[i] != ',') return bad("',' expected", i);
    i = skipWs(text, i + 1);
  }
}

Result<std::vector<TextSpan>> arrayElements(std::string_view text, TextSpan array) {
  if (array.begin >= text.size() || text[array.begin] != '[') return bad("not an array", 0);
  std::vector<TextSpan> out;
  size_t i = skipWs(text, array.begin + 1);
  if (i < text.size() && text[i] == ']') return out;
  for (;;) {
    KT_ASSIGN_OR_RETURN(size_t end, scanValue(text, i, 1));
    out.push_back({i, end});
    i = skipWs(text, end);
    if (i >= text.size()) return bad("unterminated array", array.begin);
    if (text[i] == ']') return out;
    if (text[i] != ',') return bad("',' expected", i);
    i = skipWs(text, i + 1);
  }
}

}  // namespace kt::cni
