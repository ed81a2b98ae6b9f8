// Injection through every command-line source of the real binary: hostile values
// (newlines, '#', quotes, a whole iptables rule, NUL, shell metacharacters, terminal escapes,
// 1 MiB strings) set through flags, --annotation, the annotations file, the Pod manifest (JSON
// and YAML), the config file (JSON and YAML) and the environment are either
//  - rejected: exit 2, nothing on stdout, a message naming the source, no raw control bytes or
//    forged lines on stderr; or
//  - accepted with exactly the rules of the clean equivalent value: the dry-run output (iptables
//    and nftables) is byte-identical to that of the clean value through the same source.
// No input ever runs a shell (a marker file that an injected command would create stays absent).
#include <sys/stat.h>

#include <map>

#include "injection_support.h"

namespace kt::config::testing {
namespace {

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"ports", "--exclude-outbound-ports", "traffic.kuma.io/exclude-outbound-ports",
       "redirect.outbound.excludePorts", "KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS",
       "8080", "9000-9100"},
      {"cidrs", "--exclude-inbound-ips", "traffic.kuma.io/exclude-inbound-ips",
       "redirect.inbound.excludePortsForIPs",
       "KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_EXCLUDE_PORTS_FOR_IPS", "10.0.0.0/8", "fd00::1"},
      {"uids", "--exclude-outbound-ports-for-uids",
       "traffic.kuma.io/exclude-outbound-ports-for-uids", "redirect.outbound.excludePortsForUIDs",
       "KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS_FOR_UIDS", "tcp:22:1000", ""},
      {"port", "--redirect-inbound-port", "kuma.io/transparent-proxying-inbound-port",
       "redirect.inbound.port", "KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT", "15007", ""},
      {"user", "--kuma-dp-user", "kuma.io/sidecar-uid", "kumaDPUser",
       "KUMA_TRANSPARENT_PROXY_KUMA_DP_USER", "1000", ""},
      {"bool", "--drop-invalid-packets", "traffic.kuma.io/drop-invalid-packets",
       "dropInvalidPackets", "KUMA_TRANSPARENT_PROXY_DROP_INVALID_PACKETS", "true", ""},
      {"mode", "--ip-family-mode", "kuma.io/transparent-proxying-ip-family-mode", "ipFamilyMode",
       "KUMA_TRANSPARENT_PROXY_IP_FAMILY_MODE", "ipv4", ""},
  };
  return all;
}

constexpr Via kAllVias[] = {Via::kFlag,         Via::kAnnotationFlag, Via::kAnnotationsFile,
                            Via::kManifestJson, Via::kManifestYaml,   Via::kConfigJson,
                            Via::kConfigYaml,   Via::kEnvironment};

// The flag that names the input file of a file source (its size limit names that flag).
std::string inputFlag(Via via) {
  switch (via) {
    case Via::kAnnotationsFile:
      return "--annotations-file";
    case Via::kManifestJson:
    case Via::kManifestYaml:
      return "--pod-manifest";
    case Via::kConfigJson:
    case Via::kConfigYaml:
      return "--config-file";
    default:
      return "";
  }
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string show(const std::string& value) {
  return quoteForMessage(value);
}

// Backends whose dry-run output is compared: the default (iptables) and native nftables.
const std::vector<std::vector<std::string>>& renderings() {
  static const std::vector<std::vector<std::string>> r = {{}, {"--backend=nftables"}};
  return r;
}

// Checks one rejected run.
void expectRejected(const BinaryRun& r, Via via, const Target& t, const Hostile& h) {
  EXPECT_TRUE(r.out.empty()) << h.label << ": stdout of a rejected run: " << r.out.substr(0, 500);
  EXPECT_NE(r.err.find("invalid configuration"), std::string::npos) << h.label << ": " << r.err;
  bool named = r.err.find(t.sourceName(via)) != std::string::npos;
  std::string flag = inputFlag(via);
  if (!flag.empty()) named = named || r.err.find("flag " + flag) != std::string::npos;
  EXPECT_TRUE(named) << h.label << ": the message does not name " << t.sourceName(via) << ": "
                     << r.err.substr(0, 2000);
  // Readable: bounded however big the value was.
  EXPECT_LT(r.err.size(), 16u * 1024) << h.label;
}

class InjectionCli : public ::testing::TestWithParam<std::tuple<size_t, Via>> {};

TEST_P(InjectionCli, HostileValuesAreRejectedOrMeanExactlyTheCleanValue) {
  const Target& t = targets()[std::get<0>(GetParam())];
  Via via = std::get<1>(GetParam());
  if (!t.settable(via)) GTEST_SKIP() << t.name << " cannot be set through " << viaName(via);
  ::unlink(pwnedMarker().c_str());

  std::map<std::pair<std::string, size_t>, BinaryRun> cleanRuns;  // (clean value, rendering) -> run
  auto cleanRun = [&](const std::string& value, size_t rendering) -> const BinaryRun& {
    auto key = std::make_pair(value, rendering);
    auto it = cleanRuns.find(key);
    if (it == cleanRuns.end())
      it = cleanRuns.emplace(key, dryRun(via, t, value, renderings()[rendering])).first;
    return it->second;
  };

  size_t ran = 0, rejected = 0;
  for (const auto& h : hostileValues(t)) {
    auto value = representable(via, h.value);
    if (!value) continue;
    ++ran;
    std::optional<std::string> cleanValue = h.clean;
    if (h.goodWhenCut && value->size() < h.value.size()) cleanValue = t.good;
    BinaryRun r = dryRun(via, t, *value);
    EXPECT_FALSE(exists(pwnedMarker())) << h.label << ": an injected command ran";
    EXPECT_EQ(stderrDefects(r.err), "") << h.label << " " << show(*value);
    if (r.exitCode == 2) {
      ++rejected;
      expectRejected(r, via, t, h);
      continue;
    }
    if (r.exitCode != 0) {
      ADD_FAILURE() << h.label << ": exit " << r.exitCode << ": " << r.err.substr(0, 2000);
      continue;
    }
    if (!cleanValue) {
      ADD_FAILURE() << h.label << ": hostile value " << show(*value) << " was accepted";
      continue;
    }
    // Accepted: the rules must be exactly those of the clean value, for every renderer.
    for (size_t i = 0; i < renderings().size(); ++i) {
      BinaryRun hostile = i == 0 ? r : dryRun(via, t, *value, renderings()[i]);
      const BinaryRun& clean = cleanRun(*cleanValue, i);
      ASSERT_EQ(clean.exitCode, 0) << "clean value " << show(*cleanValue) << ": " << clean.err;
      EXPECT_EQ(hostile.exitCode, 0) << h.label << ": " << hostile.err;
      EXPECT_EQ(hostile.out, clean.out)
          << h.label << " (" << show(*value) << ") renders other rules than " << show(*cleanValue);
    }
    // Provenance shows the accepted value; it must not carry the hostile bytes either.
    BinaryRun verbose = dryRun(via, t, *value, {"--verbose"});
    EXPECT_EQ(stderrDefects(verbose.err), "") << h.label << " --verbose";
  }
  EXPECT_GT(ran, 10u);
  EXPECT_GT(rejected, 0u);
  ::unlink(pwnedMarker().c_str());
}

std::string caseName(const ::testing::TestParamInfo<InjectionCli::ParamType>& info) {
  return targets()[std::get<0>(info.param)].name + "_" + viaName(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllSources, InjectionCli,
                         ::testing::Combine(::testing::Range<size_t>(0, 7),
                                            ::testing::ValuesIn(kAllVias)),
                         caseName);

// Values of annotations that do not affect interception are never parsed: any bytes there
// leave the rules exactly as without the annotation (or a too-big input is refused).
TEST(InjectionCli, UnrelatedAnnotationValuesChangeNothing) {
  const Target unrelated{"unrelated", "", "example.com/note", "", "", "x", ""};
  for (Via via :
       {Via::kAnnotationFlag, Via::kAnnotationsFile, Via::kManifestJson, Via::kManifestYaml}) {
    const BinaryRun clean = dryRun(via, unrelated, std::nullopt);
    ASSERT_EQ(clean.exitCode, 0) << clean.err;
    for (const auto& h : hostileValues(unrelated)) {
      auto value = representable(via, h.value);
      if (!value) continue;
      BinaryRun r = dryRun(via, unrelated, *value);
      EXPECT_EQ(stderrDefects(r.err), "") << viaName(via) << " " << h.label;
      if (r.exitCode == 2) {
        // Only the size limit of the input file may refuse it.
        EXPECT_NE(r.err.find("flag " + inputFlag(via)), std::string::npos) << r.err;
        EXPECT_GT(h.value.size(), 1000000u) << h.label;
        continue;
      }
      EXPECT_EQ(r.exitCode, 0) << viaName(via) << " " << h.label << ": " << r.err;
      EXPECT_EQ(r.out, clean.out) << viaName(via) << " " << h.label;
    }
  }
}

// Hostile keys: annotation keys, config-file keys and variable names cannot smuggle settings
// or lines either. Bad annotation and config keys are refused (exit 2); unknown variables with
// our prefix are warned about (escaped) and change nothing.
TEST(InjectionCli, HostileKeysAreRefusedOrIgnored) {
  const std::vector<std::string> keys = {
      "kuma.io/gateway\n-A OUTPUT -j ACCEPT",
      "kuma.io/gateway#",
      "kuma.io/gateway\"",
      "kuma.io/$(touch " + pwnedMarker() + ")",
      std::string("kuma.io/gateway") + '\0' + "x",
      "kuma.io/" + std::string(100000, 'k'),
      "kuma.io/gateway\x1b[2J",
  };
  for (const auto& key : keys) {
    const Target t{"key", "", key, "", "", "", ""};
    for (Via via :
         {Via::kAnnotationFlag, Via::kAnnotationsFile, Via::kManifestJson, Via::kManifestYaml}) {
      if (viaCommandLine(via) && key.find('\0') != std::string::npos) continue;
      BinaryRun r = dryRun(via, t, "enabled");
      EXPECT_EQ(r.exitCode, 2) << viaName(via) << " " << show(key) << ": " << r.err;
      EXPECT_TRUE(r.out.empty());
      EXPECT_EQ(stderrDefects(r.err), "") << viaName(via) << " " << show(key);
      EXPECT_LT(r.err.size(), 16u * 1024);
    }
    // The same text as a config-file key.
    const Target c{"key", "", "", "redirect", "", "", ""};
    TempFile f("redirect:\n  " + jsonQuote(key) + ": 1\n");
    BinaryRun r = runBinary({"install", "--dry-run", "--config-file=" + f.path()}, {});
    EXPECT_EQ(r.exitCode, 2) << show(key) << ": " << r.err;
    EXPECT_EQ(stderrDefects(r.err), "") << show(key);
  }

  const BinaryRun clean = runBinary({"install", "--dry-run"}, {});
  ASSERT_EQ(clean.exitCode, 0) << clean.err;
  for (const auto& name :
       {std::string("KUMA_TRANSPARENT_PROXY_X\n-A OUTPUT -j ACCEPT"),
        std::string("KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT ;touch ") + pwnedMarker(),
        std::string("KUMA_TRANSPARENT_PROXY_\x1b[2J")}) {
    BinaryRun r = runBinary({"install", "--dry-run"}, {name + "=1"});
    EXPECT_EQ(r.exitCode, 0) << show(name) << ": " << r.err;
    EXPECT_EQ(r.out, clean.out) << show(name);
    EXPECT_NE(r.err.find("unknown variable"), std::string::npos) << r.err;
    EXPECT_EQ(stderrDefects(r.err), "") << show(name);
  }
  EXPECT_FALSE(exists(pwnedMarker()));
  ::unlink(pwnedMarker().c_str());
}

}  // namespace
}  // namespace kt::config::testing
