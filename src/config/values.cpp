#include "config/values.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "base/strings.h"

namespace kt::config {

namespace {

bool isDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Strict decimal into uint64 (at most 19 digits, so no overflow).
bool parseU64(std::string_view s, uint64_t& out) {
  if (!isDigits(s) || s.size() > 19) return false;
  out = 0;
  for (char c : s)
    out = out * 10 + static_cast<uint64_t>(c - '0');
  return true;
}

// A list value names at most this many bad items and counts the rest: 16 KiB of bad items
// would otherwise make a half-megabyte message.
constexpr size_t kMaxItemErrors = 5;

std::string joinErrors(const std::vector<std::string>& errors) {
  if (errors.size() <= kMaxItemErrors) return join(errors, "; ");
  std::vector<std::string> shown(errors.begin(), errors.begin() + kMaxItemErrors);
  return join(shown, "; ") + "; ... and " + std::to_string(errors.size() - kMaxItemErrors) +
         " more invalid items";
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// One port-or-range item of a port list: "80" or "8000-9000".
Result<PortRange> parsePortItem(std::string_view item) {
  auto dash = item.find('-');
  if (dash == std::string_view::npos) {
    KT_ASSIGN_OR_RETURN(uint16_t p, parsePortValue(item));
    return PortRange{p, p};
  }
  uint64_t a = 0, b = 0;
  if (!parseU64(trim(item.substr(0, dash)), a) || !parseU64(trim(item.substr(dash + 1)), b) ||
      a == 0 || b == 0 || a > 65535 || b > 65535 || a > b) {
    return Error::config("value " + quoteForMessage(item) +
                         " is not a valid port range (first-last, each in [1, 65535], first <= "
                         "last)");
  }
  return PortRange{static_cast<uint16_t>(a), static_cast<uint16_t>(b)};
}

// Kuma's wording for the ports part of a uid exclusion.
Result<PortRange> parseUidPortItem(std::string_view item) {
  auto fail = [&](const std::string& why) {
    return Error::config("invalid port range: validation failed for value or range " +
                         quoteForMessage(item) + ": " + why);
  };
  auto dash = item.find('-');
  auto firstText = trim(item.substr(0, dash));
  auto lastText = dash == std::string_view::npos ? firstText : trim(item.substr(dash + 1));
  uint64_t a = 0, b = 0;
  if (!parseU64(firstText, a) || a > 65535) {
    return fail("invalid uint16 value: " + quoteForMessage(firstText));
  }
  if (!parseU64(lastText, b) || b > 65535) {
    return fail("invalid uint16 value: " + quoteForMessage(lastText));
  }
  if (a == 0 || b == 0) return fail("port 0 is not allowed");
  if (a > b) return fail("the first port is greater than the last");
  return PortRange{static_cast<uint16_t>(a), static_cast<uint16_t>(b)};
}

}  // namespace

Result<bool> parseBool(std::string_view text) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == t) return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == f) return false;
  return Error::config("value " + quoteForMessage(text) + " is not a boolean (true or false)");
}

Result<bool> parseEnabled(std::string_view text) {
  if (text == "enabled" || text == "true" || text == "yes") return true;
  if (text == "disabled" || text == "false" || text == "no") return false;
  return Error::config("wrong value " + quoteForMessage(text) +
                       ": expected enabled, disabled, true, false, yes or no");
}

Result<bool> parseYesNo(std::string_view text) {
  if (text == "true" || text == "yes") return true;
  if (text == "false" || text == "no") return false;
  return Error::config("wrong value " + quoteForMessage(text) +
                       ": expected true, false, yes or no");
}

Result<uint16_t> parsePortValue(std::string_view text, bool allowZero) {
  uint64_t v = 0;
  if (!parseU64(text, v) || v > 65535 || (v == 0 && !allowZero)) {
    return Error::config("value " + quoteForMessage(text) +
                         " is not a valid port (uint16 in the range [" + (allowZero ? "0" : "1") +
                         ", 65535])");
  }
  return static_cast<uint16_t>(v);
}

Result<std::vector<PortRange>> parsePortList(std::string_view text) {
  std::vector<PortRange> out;
  std::vector<std::string> errors;
  for (const auto& item : splitList(text, ',')) {
    auto r = parsePortItem(item);
    if (r) {
      out.push_back(*r);
    } else {
      errors.push_back(r.error().message());
    }
  }
  if (!errors.empty()) return Error::config(joinErrors(errors));
  return out;
}

Result<std::vector<Cidr>> parseCidrList(std::string_view text) {
  std::vector<Cidr> out;
  std::vector<std::string> errors;
  for (const auto& item : splitList(text, ',')) {
    auto c = Cidr::parse(item);
    if (c) {
      out.push_back(*c);
    } else {
      errors.push_back("invalid IP address: " + quoteForMessage(item) +
                       ". Expected format: <ip> or <ip>/<cidr> (e.g., 10.0.0.1, 172.16.0.0/16, "
                       "fe80::1, fe80::/10)");
    }
  }
  if (!errors.empty()) return Error::config(joinErrors(errors));
  return out;
}

Result<UidPortExclusion> parseUidExclusion(std::string_view text) {
  auto parts = split(text, ':');
  if (parts.size() > 3) {
    return Error::config("invalid entry " + quoteForMessage(text) +
                         ": expected [protocol:][ports:]uids");
  }
  std::string_view uids = trim(parts.back());
  std::string_view ports = parts.size() >= 2 ? trim(parts[parts.size() - 2]) : "*";
  std::string_view protos = parts.size() == 3 ? trim(parts[0]) : "*";

  UidPortExclusion e;
  if (protos.empty() || protos == "*") {
    e.protocols = {Protocol::kTcp, Protocol::kUdp};
  } else {
    bool tcp = false, udp = false;
    for (const auto& p : splitList(protos, ',')) {
      if (p == "tcp") {
        tcp = true;
      } else if (p == "udp") {
        udp = true;
      } else if (p == "*") {
        tcp = udp = true;
      } else {
        return Error::config("invalid or unsupported protocol: " + quoteForMessage(p));
      }
    }
    if (!tcp && !udp) {
      return Error::config("invalid or unsupported protocol: " + quoteForMessage(protos));
    }
    if (tcp) e.protocols.push_back(Protocol::kTcp);
    if (udp) e.protocols.push_back(Protocol::kUdp);
  }

  if (!ports.empty() && ports != "*") {
    auto items = splitList(ports, ',');
    // The ports of one entry expand to rules of their own: their cap bounds those rules.
    if (items.size() > kMaxUidPortEntries) {
      return Error::config(std::to_string(items.size()) + " port entries; at most " +
                           std::to_string(kMaxUidPortEntries) + " are accepted");
    }
    for (const auto& item : items) {
      KT_ASSIGN_OR_RETURN(auto r, parseUidPortItem(item));
      e.ports.push_back(r);
    }
  }

  if (uids == "*") return Error::config("wildcard '*' is not allowed for UIDs");
  if (uids.find(',') != std::string_view::npos) {
    return Error::config("invalid UID entry: " + quoteForMessage(uids) +
                         ". It should either be a single item or a range");
  }
  auto dash = uids.find('-');
  std::string normalized(uids);
  if (dash != std::string_view::npos) {
    normalized =
        std::string(trim(uids.substr(0, dash))) + "-" + std::string(trim(uids.substr(dash + 1)));
  }
  auto range = UidRange::parse(normalized);
  if (!range) {
    return Error::config("invalid UID entry: " + quoteForMessage(uids) +
                         ". It should be a uid or a range first-last of uids");
  }
  e.uids = *range;
  return e;
}

Result<std::chrono::milliseconds> parseGoDuration(std::string_view text) {
  auto bad = [&]() {
    return Error::config("value " + quoteForMessage(text) +
                         " is not a valid duration (Go syntax such as 2s, 500ms or 1m30s)");
  };
  std::string_view s = text;
  if (s == "0") return std::chrono::milliseconds(0);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (!s.empty() && s[0] == '-') {
    return Error::config("value " + quoteForMessage(text) +
                         " is negative; a duration >= 0 is needed");
  }
  if (s.empty()) return bad();
  // Go's arithmetic, so that every value means the same nanoseconds as in Go: integers, and a
  // fraction as float64(f) * (float64(unit) / scale) (0.51m is 30.6s exactly, not 30.599..s).
  // Values beyond 2^63 ns are "too long" here (Go: invalid), checked before any overflow.
  constexpr uint64_t kLimitNs = uint64_t{1} << 63;
  uint64_t totalNs = 0;
  bool tooLong = false;
  while (!s.empty()) {
    size_t i = 0;
    uint64_t whole = 0, frac = 0;
    double scale = 1;
    bool digits = false, wholeOverflow = false, fracFull = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      auto d = static_cast<uint64_t>(s[i] - '0');
      if (whole > (kLimitNs - d) / 10) wholeOverflow = true;
      if (!wholeOverflow) whole = whole * 10 + d;
      digits = true;
      ++i;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        // Like Go, digits past what fits are ignored (they are below a nanosecond).
        auto d = static_cast<uint64_t>(s[i] - '0');
        if (!fracFull && frac > (kLimitNs - d) / 10) fracFull = true;
        if (!fracFull) {
          frac = frac * 10 + d;
          scale *= 10;
        }
        digits = true;
        ++i;
      }
    }
    if (!digits) return bad();
    size_t u = i;
    while (u < s.size() && s[u] != '.' && (s[u] < '0' || s[u] > '9'))
      ++u;
    std::string_view unit = s.substr(i, u - i);
    uint64_t ns = 0;
    if (unit == "ns") {
      ns = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {
      ns = 1000;
    } else if (unit == "ms") {
      ns = 1000 * 1000;
    } else if (unit == "s") {
      ns = 1000 * 1000 * 1000;
    } else if (unit == "m") {
      ns = 60ull * 1000 * 1000 * 1000;
    } else if (unit == "h") {
      ns = 3600ull * 1000 * 1000 * 1000;
    } else {
      return bad();
    }
    s.remove_prefix(u);
    if (tooLong) continue;  // keep checking the syntax of the rest
    if (wholeOverflow || whole > kLimitNs / ns) {
      tooLong = true;
      continue;
    }
    uint64_t v = whole * ns;
    if (frac > 0)
      v += static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(ns) / scale));
    if (v > kLimitNs - totalNs) {
      tooLong = true;
      continue;
    }
    totalNs += v;
  }
  auto maxNs = static_cast<uint64_t>(kMaxSleepBetweenRetries.count()) * 1000 * 1000;
  if (tooLong || totalNs > maxNs) {
    return Error::config("value " + quoteForMessage(text) + " is too long: at most " +
                         formatGoDuration(kMaxSleepBetweenRetries) + " is accepted");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(totalNs / (1000 * 1000)));
}

Result<uint32_t> parseUint(std::string_view text, uint32_t max) {
  uint64_t v = 0;
  if (!parseU64(text, v) || v > max) {
    return Error::config("value " + quoteForMessage(text) +
                         " is not a valid number (an integer in [0, " + std::to_string(max) + "])");
  }
  return static_cast<uint32_t>(v);
}

Result<IpFamilyMode> parseIpFamilyMode(std::string_view text) {
  if (text == "dualstack") return IpFamilyMode::kDualStack;
  if (text == "ipv4") return IpFamilyMode::kIpv4;
  return Error::config("value " + quoteForMessage(text) +
                       " is invalid: must be one of 'dualstack' or 'ipv4'");
}

Result<Backend> parseBackend(std::string_view text) {
  if (auto b = backendByName(text)) return *b;
  return Error::config("value " + quoteForMessage(text) + " is not a backend: must be one of " +
                       backendNameList(", ", ", "));
}

Result<SidecarUser> parseUser(std::string_view text) {
  if (text.empty()) return SidecarUser{};
  uint64_t uid = 0;
  if (isDigits(text)) {
    // (uid_t)-1 means "no uid" to the kernel, so the largest usable uid is 4294967294.
    if (parseU64(text, uid) && uid <= 4294967294ull) {
      return SidecarUser::ofUid(static_cast<uint32_t>(uid));
    }
  } else {
    auto first = static_cast<unsigned char>(text[0]);
    bool ok = text.size() <= 32 && (std::isalpha(first) || text[0] == '_');
    for (size_t i = 0; ok && i < text.size(); ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      bool last = i + 1 == text.size();
      ok = std::isalnum(c) || c == '_' || c == '.' || c == '-' || (last && c == '$');
    }
    if (ok) return SidecarUser::named(std::string(text));
  }
  return Error::config("value " + quoteForMessage(text) +
                       " is not a uid (0-4294967294) or a user name");
}

Result<std::string> parsePath(std::string_view text, bool absolute) {
  if (text.empty()) return Error::config("the path is empty");
  if (text.size() > 4096 || hasControl(text)) {
    return Error::config("value " + quoteForMessage(text) + " is not a usable path");
  }
  if (absolute && text[0] != '/') {
    return Error::config("value " + quoteForMessage(text) + " is not an absolute path");
  }
  return std::string(text);
}

Result<std::string> parseOptionalPath(std::string_view text) {
  if (text.empty()) return std::string();
  return parsePath(text, false);
}

Result<std::string> parseInterfaceName(std::string_view text) {
  if (text.empty()) return std::string();
  bool ok = text.size() <= 15 && text != "." && text != "..";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= 0x20 || u == 0x7f) ok = false;
  }
  if (!ok) {
    return Error::config("value " + quoteForMessage(text) +
                         " is not a valid interface name (at most 15 characters, no '/', ':' or "
                         "blanks)");
  }
  return std::string(text);
}

Result<std::string> parseEnvVarName(std::string_view text) {
  bool ok = !text.empty() && text.size() <= 256 &&
            (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_');
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') ok = false;
  if (!ok) {
    return Error::config("value " + quoteForMessage(text) +
                         " is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  return std::string(text);
}

Result<std::string> checkObjectDigest(std::string_view file, std::string_view hex) {
  bool nameOk = !file.empty() && file.size() <= 255 && file != "." && file != "..";
  for (char c : file) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || u <= 0x20 || u >= 0x7f) nameOk = false;
  }
  if (!nameOk) {
    return Error::config("object file name " + quoteForMessage(file) +
                         " must be a plain file name such as kuma_tproxy_cgroup.bpf.o");
  }
  std::string lower;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      lower.clear();
      break;
    }
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower.size() != 64) {
    return Error::config("digest " + quoteForMessage(hex) + " of " + std::string(file) +
                         " is not a SHA-256 in hex (64 hex digits)");
  }
  return lower;
}

Result<std::map<std::string, std::string>> parseObjectDigests(std::string_view text) {
  std::map<std::string, std::string> out;
  for (const auto& item : splitList(text, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      return Error::config("value " + quoteForMessage(item) + " is not file=sha256hex");
    }
    std::string file(trim(std::string_view(item).substr(0, eq)));
    KT_ASSIGN_OR_RETURN(std::string hex,
                        checkObjectDigest(file, trim(std::string_view(item).substr(eq + 1))));
    if (!out.emplace(file, hex).second) {
      return Error::config("object file " + file + " is given more than one digest");
    }
  }
  return out;
}

std::string formatObjectDigests(const std::map<std::string, std::string>& digests) {
  std::vector<std::string> parts;
  for (const auto& [file, hex] : digests)
    parts.push_back(file + "=" + hex);
  return join(parts, ",");
}

Result<std::vector<IpAddress>> parseInstanceIps(std::string_view text) {
  std::vector<IpAddress> out;
  if (text.empty()) return out;
  for (const auto& item : splitList(text, ',')) {
    auto ip = IpAddress::parse(item);
    if (!ip) return Error::config("value " + quoteForMessage(item) + " is not an IP address");
    for (const auto& seen : out) {
      if (seen.family == ip->family) {
        return Error::config("value " + quoteForMessage(text) + " has more than one " +
                             familyName(ip->family) + " address; give at most one per family");
      }
    }
    out.push_back(*ip);
  }
  if (out.empty()) return Error::config("value " + quoteForMessage(text) + " is not an IP address");
  return out;
}

std::string formatIps(const std::vector<IpAddress>& ips) {
  std::vector<std::string> parts;
  for (const auto& ip : ips)
    parts.push_back(ip.str());
  return join(parts, ",");
}

std::string formatPorts(const std::vector<PortRange>& ports) {
  std::vector<std::string> parts;
  for (const auto& p : ports)
    parts.push_back(p.str());
  return join(parts, ",");
}

std::string formatCidrs(const std::vector<Cidr>& cidrs) {
  std::vector<std::string> parts;
  for (const auto& c : cidrs)
    parts.push_back(c.str());
  return join(parts, ",");
}

std::string formatUidExclusion(const UidPortExclusion& e) {
  std::vector<std::string> protos;
  for (auto p : e.protocols)
    protos.push_back(p == Protocol::kTcp ? "tcp" : "udp");
  return join(protos, ",") + ":" + (e.ports.empty() ? "*" : formatPorts(e.ports)) + ":" +
         e.uids.str();
}

std::string formatGoDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  std::string secs = std::to_string(s);
  if (rest != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(rest));
    std::string frac = buf;
    while (frac.back() == '0')
      frac.pop_back();
    secs += frac;
  }
  if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m" + secs + "s";
  if (m > 0) return std::to_string(m) + "m" + secs + "s";
  return secs + "s";
}

}  // namespace kt::config
