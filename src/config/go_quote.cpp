#include "config/go_quote.h"

#include <cstdint>

#include "base/strings.h"

namespace kt::config {

namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Reads `n` hex digits at s[i..]; false if fewer are there.
bool readHex(std::string_view s, size_t i, size_t n, uint32_t& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    int d = hexDigit(s[i + k]);
    if (d < 0) return false;
    out = out * 16 + static_cast<uint32_t>(d);
  }
  return true;
}

}  // namespace

Result<std::string> unquoteGo(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
    return Error::config("the value is not a double-quoted string");
  }
  std::string_view s = quoted.substr(1, quoted.size() - 2);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '"') return Error::config("unescaped '\"' inside the quoted value");
    if (c == '\n') return Error::config("raw newline inside the quoted value");
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return Error::config("the value ends inside an escape sequence");
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x': {
        uint32_t v = 0;
        if (!readHex(s, i, 2, v)) return Error::config("\\x needs two hex digits");
        out += static_cast<char>(v);
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        if (!readHex(s, i, n, cp)) {
          return Error::config(std::string("\\") + e + " needs " + std::to_string(n) +
                               " hex digits");
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return Error::config("escape " + quoteForMessage(s.substr(i - 2, n + 2)) +
                               " is not a valid Unicode code point");
        }
        appendUtf8(out, cp);
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > s.size()) return Error::config("octal escape needs three digits");
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (size_t k = 0; k < 2; ++k) {
            char d = s[i + k];
            if (d < '0' || d > '7') return Error::config("octal escape needs three digits");
            v = v * 8 + static_cast<uint32_t>(d - '0');
          }
          if (v > 0377) return Error::config("octal escape is larger than \\377");
          out += static_cast<char>(v);
          i += 2;
          break;
        }
        return Error::config("unknown escape sequence " + quoteForMessage(std::string("\\") + e));
    }
  }
  return out;
}

}  // namespace kt::config
