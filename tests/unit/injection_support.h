// Helpers of the injection tests (injection_*_test.cpp): hostile values, one setting named in
// every configuration source, and running the built binary with a value set through one source.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.h"
#include "binary_run.h"
#include "config_test_support.h"

namespace kt::config::testing {

// The sources a value can come from on the command line of the real binary.
enum class Via {
  kFlag,             // --flag=value
  kAnnotationFlag,   // --annotation=key=value
  kAnnotationsFile,  // --annotations-file (downward-API format, Go-quoted)
  kManifestJson,     // --pod-manifest, JSON
  kManifestYaml,     // --pod-manifest, YAML
  kConfigJson,       // --config-file, JSON
  kConfigYaml,       // --config-file, YAML
  kEnvironment,      // KUMA_TRANSPARENT_PROXY_*
};

inline const char* viaName(Via v) {
  switch (v) {
    case Via::kFlag:
      return "flag";
    case Via::kAnnotationFlag:
      return "annotation_flag";
    case Via::kAnnotationsFile:
      return "annotations_file";
    case Via::kManifestJson:
      return "manifest_json";
    case Via::kManifestYaml:
      return "manifest_yaml";
    case Via::kConfigJson:
      return "config_json";
    case Via::kConfigYaml:
      return "config_yaml";
    case Via::kEnvironment:
      return "environment";
  }
  return "?";
}

inline bool isAnnotation(Via v) {
  return v == Via::kAnnotationFlag || v == Via::kAnnotationsFile || v == Via::kManifestJson ||
         v == Via::kManifestYaml;
}

// argv and the environment cannot carry a NUL byte, and one argument or variable is at most
// MAX_ARG_STRLEN (128 KiB) long: such values can only come from files.
inline bool viaCommandLine(Via v) {
  return v == Via::kFlag || v == Via::kAnnotationFlag || v == Via::kEnvironment;
}
inline constexpr size_t kMaxArgBytes = 128 * 1024 - 256;

// One setting as each source names it; an empty name = the source cannot set it.
struct Target {
  std::string name;        // test name part
  std::string flag;        // "--exclude-outbound-ports"
  std::string annotation;  // "traffic.kuma.io/exclude-outbound-ports"
  std::string configPath;  // "redirect.outbound.excludePorts"
  std::string env;         // "KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS"
  std::string good;        // a valid value
  std::string good2;       // another valid value, for list settings ("" for scalars)

  bool settable(Via v) const {
    if (v == Via::kFlag) return !flag.empty();
    if (isAnnotation(v)) return !annotation.empty();
    if (v == Via::kEnvironment) return !env.empty();
    return !configPath.empty();
  }
  // What an error message must name so that the operator finds the value.
  std::string sourceName(Via v) const {
    if (v == Via::kFlag) return "flag " + flag;
    if (isAnnotation(v)) return "annotation " + annotation;
    if (v == Via::kEnvironment) return "environment " + env;
    return "(" + configPath + ")";
  }
};

// A hostile value and, when accepting it is right, the clean value it must be equivalent to.
struct Hostile {
  std::string label;
  std::string value;
  std::optional<std::string> clean;  // nullopt: must be rejected
  // A command line cuts the value (representable()) to a size that the limits may let through:
  // then it must be rejected or mean exactly the good value (a list repeating it).
  bool goodWhenCut = false;
};

// A file under /tmp whose name includes the pid; a shell that ever ran an injected command
// would create it.
inline std::string pwnedMarker() {
  return "/tmp/kt-injection-pwned-" + std::to_string(::getpid());
}

// Hostile variants of a target's good value. Newline, '#', quotes, a whole iptables rule, NUL,
// shell metacharacters, terminal escapes, look-alike digits and huge values.
inline std::vector<Hostile> hostileValues(const Target& t) {
  const std::string& g = t.good;
  const std::string marker = pwnedMarker();
  std::vector<Hostile> v = {
      {"newline-rule", g + "\n-A OUTPUT -j ACCEPT", std::nullopt},
      {"whole-rule", "-A OUTPUT -j ACCEPT", std::nullopt},
      {"appended-target", g + " -j ACCEPT", std::nullopt},
      {"restore-commit", g + "\nCOMMIT\n*filter\n-P OUTPUT ACCEPT", std::nullopt},
      {"hash", g + "#", std::nullopt},
      {"hash-first", "#" + g, std::nullopt},
      {"double-quote", g + "\"", std::nullopt},
      {"double-quoted", "\"" + g + "\"", std::nullopt},
      {"single-quoted", "'" + g + "'", std::nullopt},
      {"nul", g + std::string(1, '\0') + "-A OUTPUT -j ACCEPT", std::nullopt},
      {"nul-only", std::string(1, '\0'), std::nullopt},
      {"semicolon-shell", g + ";touch " + marker, std::nullopt},
      {"command-substitution", "$(touch " + marker + ")", std::nullopt},
      {"backticks", "`touch " + marker + "`", std::nullopt},
      {"pipe", g + "|touch " + marker, std::nullopt},
      {"and", g + "&&touch " + marker, std::nullopt},
      {"redirect", g + ">" + marker, std::nullopt},
      {"terminal-escape", g + "\x1b[2J\x1b[1;1H", std::nullopt},
      {"carriage-return-forge", g + "\rinstalled ok", std::nullopt},
      {"fullwidth-digits", "\xef\xbc\x98\xef\xbc\x90", std::nullopt},  // "８０"
      {"line-separator", g + "\xe2\x80\xa8", std::nullopt},            // U+2028
      // Blank around the value: trimmed in lists, refused by exact grammars.
      {"trailing-newline", g + "\n", g},
      {"surrounding-blanks", " \t" + g + " ", g},
      {"trailing-cr", g + "\r", g},
      {"huge-filler", std::string(1024 * 1024, 'A'), std::nullopt},
  };
  // A huge value made of the good value (a list of 1 MiB): refused by the value-size limit.
  // Cut to one command-line argument (128 KiB) it may fit: a port list is then at most 65408
  // entries, under the 65536 entries a port list accepts.
  std::string huge;
  while (huge.size() < 1024 * 1024)
    huge += (huge.empty() ? "" : ",") + g;
  v.push_back({"huge-repeated", huge, std::nullopt, /*goodWhenCut=*/true});
  if (!t.good2.empty()) {
    v.push_back({"list-newline-separated", g + ",\n" + t.good2, g + "," + t.good2});
    v.push_back({"list-empty-items", ",," + g + ",,\t," + t.good2 + ",", g + "," + t.good2});
    v.push_back({"list-item-rule", g + ",-A OUTPUT -j ACCEPT", std::nullopt});
  }
  return v;
}

// The value as it fits through `via`: command-line sources cut huge values to the longest
// argument the kernel passes (the test still sees a value over every limit); NUL cannot be
// passed there at all (nullopt).
inline std::optional<std::string> representable(Via via, const std::string& value) {
  if (!viaCommandLine(via)) return value;
  if (value.find('\0') != std::string::npos) return std::nullopt;
  if (value.size() > kMaxArgBytes) {
    std::string cut = value.substr(0, kMaxArgBytes);
    // Keep list values well-formed: cut at an item boundary.
    if (auto comma = cut.rfind(','); comma != std::string::npos && comma > kMaxArgBytes / 2)
      cut.resize(comma);
    return cut;
  }
  return value;
}

// JSON string literal (also a valid YAML double-quoted scalar).
inline std::string jsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Go strconv.Quote-style literal for the downward-API annotations file (bytes >= 0x80 are
// written as \xHH, which Go's unquoting turns back into the same bytes).
inline std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// {"a":{"b":{"c":<leaf>}}} for the path "a.b.c".
inline std::string jsonNested(const std::string& path, const std::string& leaf) {
  auto parts = split(path, '.');
  std::string out;
  for (auto p : parts)
    out += "{" + jsonQuote(p) + ":";
  out += leaf;
  for (size_t i = 0; i < parts.size(); ++i)
    out += "}";
  return out;
}

// a:\n  b:\n    c: <leaf> for the path "a.b.c".
inline std::string yamlNested(const std::string& path, const std::string& leaf) {
  auto parts = split(path, '.');
  std::string out, indent;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += indent + std::string(parts[i]) + ":";
    if (i + 1 == parts.size()) {
      out += " " + leaf + "\n";
    } else {
      out += "\n";
      indent += "  ";
    }
  }
  return out;
}

// Runs the built kuma-tproxy with `args` after the program name and exactly `env` (plus PATH).
inline BinaryRun runBinary(const std::vector<std::string>& args,
                           const std::vector<std::string>& env) {
  return runBinaryAs("kuma-tproxy", args, env);
}

// `install --dry-run [extra]` with `value` set for `t` through `via` (nullopt value = the
// setting left out: the clean default).
inline BinaryRun dryRun(Via via, const Target& t, const std::optional<std::string>& value,
                        const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"install", "--dry-run"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<std::string> env;
  std::unique_ptr<TempFile> file;
  if (value) {
    const std::string& v = *value;
    switch (via) {
      case Via::kFlag:
        args.push_back(t.flag + "=" + v);
        break;
      case Via::kAnnotationFlag:
        args.push_back("--annotation=" + t.annotation + "=" + v);
        break;
      case Via::kAnnotationsFile:
        file = std::make_unique<TempFile>(t.annotation + "=" + goQuote(v) + "\n");
        args.push_back("--annotations-file=" + file->path());
        break;
      case Via::kManifestJson:
        file = std::make_unique<TempFile>(
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{)" +
            jsonQuote(t.annotation) + ":" + jsonQuote(v) + "}}}");
        args.push_back("--pod-manifest=" + file->path());
        break;
      case Via::kManifestYaml:
        file = std::make_unique<TempFile>("kind: Pod\nmetadata:\n  annotations:\n    " +
                                          t.annotation + ": " + jsonQuote(v) + "\n");
        args.push_back("--pod-manifest=" + file->path());
        break;
      case Via::kConfigJson:
        file = std::make_unique<TempFile>(jsonNested(t.configPath, jsonQuote(v)));
        args.push_back("--config-file=" + file->path());
        break;
      case Via::kConfigYaml:
        file = std::make_unique<TempFile>(yamlNested(t.configPath, jsonQuote(v)));
        args.push_back("--config-file=" + file->path());
        break;
      case Via::kEnvironment:
        env.push_back(t.env + "=" + v);
        break;
    }
  }
  return runBinary(args, env);
}

// Problems in stderr text that a hostile value could cause: raw control bytes (forged lines,
// terminal escapes) and lines that look like restore input.
inline std::string stderrDefects(const std::string& err) {
  for (char c : err) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "raw control byte 0x%02x", u);
      return buf;
    }
  }
  for (auto line : split(err, '\n')) {
    if (startsWith(line, "-A ") || startsWith(line, "COMMIT") || startsWith(line, "*filter")) {
      return "forged line: " + std::string(line);
    }
  }
  return {};
}

}  // namespace kt::config::testing
