#include "fuzz_support.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include <spdlog/spdlog.h>

#include "base/strings.h"
#include "config/facts.h"
#include "config/settings.h"
#include "config/values.h"
#include "iptables/builder.h"
#include "iptables/render_iptables.h"
#include "iptables/render_nft.h"

namespace kt::fuzz {

namespace {

// Printable ASCII; line breaks (and tabs, nft indents with them) only when allowed.
bool printableAscii(std::string_view s, bool allowLayout) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((c == '\n' || c == '\t') && allowLayout) continue;
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

const std::set<std::string, std::less<>>& knownChains() {
  static const std::set<std::string, std::less<>> chains = {
      "PREROUTING",
      "INPUT",
      "OUTPUT",
      "POSTROUTING",
      "KUMA_MESH_INBOUND",
      "KUMA_MESH_OUTBOUND",
      "KUMA_MESH_INBOUND_REDIRECT",
      "KUMA_MESH_OUTBOUND_REDIRECT",
  };
  return chains;
}

const std::set<std::string, std::less<>>& knownTargets() {
  static const std::set<std::string, std::less<>> targets = {
      "RETURN",
      "REDIRECT",
      "CT",
      "LOG",
      "DROP",
      "DOCKER_OUTPUT",
      "KUMA_MESH_INBOUND",
      "KUMA_MESH_OUTBOUND",
      "KUMA_MESH_INBOUND_REDIRECT",
      "KUMA_MESH_OUTBOUND_REDIRECT",
  };
  return targets;
}

// Every line of the iptables dry-run text has one of the shapes our renderer writes, names only
// known chains, and a rule line has exactly one target. A value that smuggled a line break, a
// second -j or a foreign chain into the text fails here.
void checkIptablesText(const std::string& text) {
  if (!printableAscii(text, true)) fail("iptables text has a control or non-ASCII byte", text);
  for (auto line : split(text, '\n')) {
    if (line.empty() || line == "### IPv4 ###" || line == "### IPv6 ###" || line == "COMMIT" ||
        line == "*raw" || line == "*nat" || line == "*mangle" || startsWith(line, "#")) {
      continue;
    }
    if (line.find('\t') != std::string_view::npos) fail("iptables text has a tab", line);
    auto words = splitList(line, ' ');
    if (words.size() >= 2 &&
        (words[0] == "-N" || words[0] == "--new-chain" || words[0][0] == ':')) {
      std::string chain = words[0][0] == ':' ? words[0].substr(1) : words[1];
      if (!knownChains().count(chain)) fail("iptables text declares a foreign chain", line);
      continue;
    }
    bool rule = words.size() >= 2 && (words[0] == "-A" || words[0] == "--append" ||
                                      words[0] == "-I" || words[0] == "--insert");
    if (!rule) fail("iptables text has an unexpected line", line);
    if (!knownChains().count(words[1])) fail("iptables rule in a foreign chain", line);
    size_t jumps = 0;
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] != "-j" && words[i] != "--jump") continue;
      ++jumps;
      if (i + 1 >= words.size() || !knownTargets().count(words[i + 1])) {
        fail("iptables rule with an unexpected target", line);
      }
    }
    if (jumps != 1) fail("iptables rule without exactly one target", line);
  }
}

// The nft script touches only our table and is printable ASCII.
void checkNftText(const std::string& text) {
  if (!printableAscii(text, true)) fail("nft script has a control or non-ASCII byte", text);
  for (size_t pos = text.find("table "); pos != std::string::npos;
       pos = text.find("table ", pos + 1)) {
    // Set and map declarations do not contain the word; only table statements do.
    if (text.compare(pos + 6, 15, "inet kuma_mesh ") != 0 &&
        text.compare(pos + 6, 15, "inet kuma_mesh\n") != 0 &&
        text.compare(pos + 6, 14, "inet kuma_mesh") != 0) {
      fail("nft script names another table", text.substr(pos, 80));
    }
  }
}

}  // namespace

void checkRenders(const config::Config& cfg, config::Facts facts) {
  for (bool docker : {false, true}) {
    facts.dockerOutputChain = docker;
    auto model = rules::build(cfg, facts);
    if (!(rules::build(cfg, facts) == model)) fail("rules::build is not deterministic");
    for (bool verbose : {false, true}) {
      rules::IptablesOptions opt{cfg.comments, verbose};
      auto text = rules::renderIptablesDryRun(model, opt);
      if (text != rules::renderIptablesDryRun(model, opt)) fail("iptables render differs");
      checkIptablesText(text);
    }
    auto nft = rules::renderNft(model, rules::NftOptions{cfg.comments, true});
    if (nft != rules::renderNft(model, rules::NftOptions{cfg.comments, true})) {
      fail("nft render differs");
    }
    checkNftText(nft);
  }
}

namespace {

// For every setting a source set, Setting::show must give text that the setting's own grammar
// parses back to the same value (--verbose provenance prints it; users copy it into flags).
// Settings at their default are skipped: some defaults mean "unset" (netns "").
void checkCanonicalText(const config::Loaded& loaded) {
  const config::SettingTarget loadedValues{loaded.config, loaded.run};
  for (const auto& s : config::settings()) {
    if (!loaded.provenance.count(std::string(s.key))) continue;
    std::string text = s.show(loadedValues);
    std::vector<std::string> parts = {text};
    if (s.kind == config::ValueKind::kUidExclusions) parts = splitList(text, ';');
    config::SettingTarget again;
    bool first = true;
    for (const auto& part : parts) {
      if (part.size() > config::kMaxValueBytes) return;  // too long to be a value: nothing to say
      auto v = config::parseSettingValue(s, part);
      if (!v) {
        fail("canonical text does not parse",
             std::string(s.key) + " = " + quoteForMessage(part) + ": " + v.error().message());
      }
      if (s.kind == config::ValueKind::kUidExclusions && !first) {
        auto& into = again.config.outbound.excludePortsForUids;
        const auto& more = std::get<std::vector<config::UidPortExclusion>>(*v);
        into.insert(into.end(), more.begin(), more.end());
      } else {
        s.apply(again, *v);
      }
      first = false;
    }
    if (s.show(again) != text) {
      fail("canonical text does not round-trip", std::string(s.key) + ": " + quoteForMessage(text) +
                                                     " -> " + quoteForMessage(s.show(again)));
    }
  }
}

}  // namespace

void quietLogging() {
  static bool done = false;
  if (done) return;
  spdlog::set_level(spdlog::level::off);
  done = true;
}

void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant violated: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), quoteForMessage(detail).c_str());
  std::abort();
}

std::vector<std::string> splitFields(std::string_view text, char sep) {
  std::vector<std::string> out;
  for (auto f : split(text, sep))
    out.emplace_back(f);
  return out;
}

Result<MemFile> MemFile::make(std::string_view content) {
  sys::Fd fd(::memfd_create("kt-fuzz", MFD_CLOEXEC));
  if (!fd) {
    int err = errno;
    return Error::system("memfd_create", err);
  }
  while (!content.empty()) {
    ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      return Error::system("writing a memfd", err);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  return MemFile(std::move(fd), std::move(path));
}

config::StdinReader stdinFrom(const std::string& stdinText) {
  return [&stdinText](size_t maxBytes) -> Result<std::string> {
    if (stdinText.size() > maxBytes) {
      return Error::config("stdin is larger than " + std::to_string(maxBytes) +
                           " bytes, the most accepted");
    }
    return stdinText;
  };
}

void checkConfigError(const Error& e) {
  if (e.kind() != ErrorKind::kConfig) fail("error is not kConfig", e.message());
  const std::string msg = e.message();
  if (msg.empty()) fail("error message is empty");
  if (!printableAscii(msg, true)) {
    // Values are quoted with quoteForMessage, which escapes control bytes; UTF-8 in names of
    // files and keys is shown escaped too. A raw byte here could forge a log line.
    for (char c : msg) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\n') || u == 0x7f) fail("error message has a control byte", msg);
    }
  }
}

void checkLoad(const Result<config::Loaded>& loaded) {
  if (!loaded) {
    checkConfigError(loaded.error());
    return;
  }
  for (const auto& w : loaded->warnings) {
    for (char c : w) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) fail("warning has a control byte", w);
    }
  }
  if (loaded->disabled) return;
  const config::Config& cfg = loaded->config;
  // The config stage normalizes every list once; the consumers rely on it.
  if (auto list = config::unnormalizedList(cfg))
    fail("a list left the config stage unnormalized", *list);
  checkCanonicalText(*loaded);
  // Fixed facts: no NSS and no resolv.conf (a fuzzed path must never be opened).
  config::Facts facts;
  facts.ipv6 = cfg.ipv6Requested();
  if (cfg.dns.enabled && !cfg.dns.captureAll) {
    facts.dnsServers = {IpAddress::v4(10, 96, 0, 10), *IpAddress::parse("fd00::a")};
  }
  checkRenders(cfg, facts);
}

}  // namespace kt::fuzz
