#include <gtest/gtest.h>

#include <set>

#include "config/settings.h"

namespace kt::config {
namespace {

// A valid, non-default text for each kind of value.
std::string sampleFor(const Setting& s) {
  switch (s.kind) {
    case ValueKind::kBool:
      return s.show(SettingTarget{}) == "true" ? "false" : "true";
    case ValueKind::kPort:
      return "12345";
    case ValueKind::kPortOrZero:
      return "9001";
    case ValueKind::kPortList:
      return "80,8000-8010";
    case ValueKind::kCidrList:
      return "10.0.0.0/8,fd00::/8";
    case ValueKind::kUidExclusions:
      return "udp:53:1000-1005";
    case ValueKind::kUint:
      return std::to_string(s.max - 1);
    case ValueKind::kDuration:
      return "1m30s";
    case ValueKind::kIpFamilyMode:
      return "ipv4";
    case ValueKind::kBackend:
      return "nftables";
    case ValueKind::kUser:
      return "kuma-dp";
    case ValueKind::kPath:
    case ValueKind::kAbsolutePath:
    case ValueKind::kOptionalPath:
      return "/some/path";
    case ValueKind::kInterface:
      return "eth1";
    case ValueKind::kEnvVarName:
      return "POD_IP";
    case ValueKind::kInstanceIps:
      return "10.1.2.3,fd00::3";
    case ValueKind::kObjectDigests:
      return "kuma_tproxy_cgroup.bpf.o=" + std::string(64, 'a');
  }
  return "";
}

TEST(ConfigSettings, EverySettingAppliesAndShowsItsOwnField) {
  for (const auto& s : settings()) {
    std::string text = sampleFor(s);
    auto v = parseSettingValue(s, text);
    ASSERT_TRUE(v.ok()) << s.key << ": " << v.error().message();
    SettingTarget c;
    s.apply(c, *v);  // throws bad_variant_access if the kind and the field disagree
    EXPECT_TRUE(c.config != Config{} || c.run != RunOptions{})
        << s.key << " did not change the config or the run options";
    EXPECT_EQ(s.show(c), text) << s.key;
    // Applying the default text restores the default field.
    std::string def = s.show(SettingTarget{});
    // --netns (empty = none) and empty uid-exclusion lists (no entries) have no text form.
    if (def.empty() && (s.kind == ValueKind::kPath || s.kind == ValueKind::kUidExclusions)) {
      continue;
    }
    auto back = parseSettingValue(s, def);
    ASSERT_TRUE(back.ok()) << s.key << " default " << def << ": " << back.error().message();
    s.apply(c, *back);
    EXPECT_EQ(c.config, Config{}) << s.key;
    EXPECT_EQ(c.run, RunOptions{}) << s.key;
  }
}

TEST(ConfigSettings, EnvironmentNamesAreGeneratedFromKeys) {
  EXPECT_EQ(envNameForKey("redirect.inbound.port"), "KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT");
  EXPECT_EQ(envNameForKey("redirect.dns.captureAll"),
            "KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_CAPTURE_ALL");
  EXPECT_EQ(envNameForKey("kumaDPUser"), "KUMA_TRANSPARENT_PROXY_KUMA_DP_USER");
  EXPECT_EQ(envNameForKey("ipFamilyMode"), "KUMA_TRANSPARENT_PROXY_IP_FAMILY_MODE");
  EXPECT_EQ(envNameForKey("wait"), "KUMA_TRANSPARENT_PROXY_WAIT");
  EXPECT_EQ(envNameForKey("retry.maxRetries"), "KUMA_TRANSPARENT_PROXY_RETRY_MAX_RETRIES");
  EXPECT_EQ(envNameForKey("redirect.outbound.excludePortsForUIDs"),
            "KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS_FOR_UIDS");
  EXPECT_EQ(envNameForKey("redirect.inbound.excludePortsForIPs"),
            "KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_EXCLUDE_PORTS_FOR_IPS");
  EXPECT_EQ(envNameForKey("ebpf.instanceIPEnvVarName"),
            "KUMA_TRANSPARENT_PROXY_EBPF_INSTANCE_IP_ENV_VAR_NAME");
  EXPECT_EQ(envNameForKey("redirect.inbound.portIPv6"),
            "KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT_IPV6");
  EXPECT_EQ(envNameForKey("redirect.dns.skipConntrackZoneSplit"),
            "KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_SKIP_CONNTRACK_ZONE_SPLIT");
  // Every config-file setting has its variable, others have none.
  for (const auto& s : settings()) {
    EXPECT_EQ(s.envName.empty(), !s.inFile) << s.key;
    if (s.inFile) {
      EXPECT_EQ(findSettingByEnv(s.envName), &s);
    }
  }
}

TEST(ConfigSettings, InstallFlagsOfIssue2AreAllThere) {
  const char* expected[] = {
      "--redirect-outbound-port",
      "--redirect-inbound",
      "--redirect-inbound-port",
      "--redirect-inbound-port-v6",
      "--ip-family-mode",
      "--kuma-dp-user",
      "--kuma-dp-uid",
      "--exclude-inbound-ports",
      "--exclude-outbound-ports",
      "--exclude-inbound-ips",
      "--exclude-outbound-ips",
      "--exclude-outbound-ports-for-uids",
      "--redirect-dns",
      "--redirect-all-dns-traffic",
      "--redirect-dns-port",
      "--skip-dns-conntrack-zone-split",
      "--drop-invalid-packets",
      "--iptables-logs",
      "--disable-comments",
      "--wait",
      "--wait-interval",
      "--max-retries",
      "--sleep-between-retries",
      "--ebpf-enabled",
      "--ebpf-instance-ip",
      "--ebpf-bpffs-path",
      "--ebpf-cgroup-path",
      "--ebpf-programs-source-path",
      "--ebpf-programs-sha256",
      "--ebpf-tc-attach-iface",
      "--dry-run",
      "--verbose",
      "--backend",
      "--netns",
  };
  std::set<std::string_view> all;
  for (const auto& s : settings())
    for (auto f : s.flags)
      EXPECT_TRUE(all.insert(f).second) << "flag registered twice: " << f;
  for (const char* f : expected)
    EXPECT_TRUE(all.count(f)) << f;
  EXPECT_EQ(all.size(), std::size(expected));
  EXPECT_EQ(findSettingByFlag("--kuma-dp-uid"), findSettingByFlag("--kuma-dp-user"));
}

TEST(ConfigSettings, KeysAndAnnotationsAreUnique) {
  std::set<std::string_view> keys, annotations;
  for (const auto& s : settings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_EQ(findSetting(s.key), &s);
    for (auto a : s.annotations)
      EXPECT_TRUE(annotations.insert(a).second) << a;
  }
}

// The trust boundary of CNI mode rests on this list: a setting that chooses a node path, a
// program, a lock, a namespace or a time budget must be node-level.
TEST(ConfigSettings, NodeLevelSettingsAreExactlyTheNodeChoices) {
  auto keys = nodeSettingKeys();
  std::set<std::string_view> node(keys.begin(), keys.end());
  std::set<std::string_view> expected = {
      "redirect.dns.resolvConfigPath",
      "ebpf.instanceIPEnvVarName",
      "ebpf.bpffsPath",
      "ebpf.cgroupPath",
      "ebpf.programsSourcePath",
      "ebpf.programsSha256",
      "wait",
      "waitInterval",
      "retry.maxRetries",
      "retry.sleepBetweenRetries",
      "netns",
      "cniMode",
      "dryRun",
  };
  EXPECT_EQ(node, expected);
  for (const char* pod : {"redirect.inbound.port", "redirect.dns.enabled", "redirect.dns.port",
                          "ipFamilyMode", "backend", "ebpf.enabled", "ebpf.tcAttachIface",
                          "dropInvalidPackets", "log.enabled", "transparentProxying"}) {
    ASSERT_NE(findSetting(pod), nullptr) << pod;
    EXPECT_EQ(findSetting(pod)->scope, Scope::kPod) << pod;
  }
}

TEST(ConfigSettings, Sections) {
  for (const char* s : {"redirect", "redirect.inbound", "redirect.outbound", "redirect.dns", "ebpf",
                        "log", "retry", "comments"})
    EXPECT_TRUE(isConfigSection(s)) << s;
  for (const char* s : {"", "redirect.inbound.port", "redirec", "redirect.in", "netns", "wait"})
    EXPECT_FALSE(isConfigSection(s)) << s;
}

TEST(ConfigSettings, ValueLengthIsLimited) {
  const Setting* s = findSetting("redirect.outbound.excludePorts");
  ASSERT_NE(s, nullptr);
  std::string big(600000, '1');
  auto r = parseSettingValue(*s, big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "the value is 600000 bytes long; at most 524288 bytes are accepted");
}

}  // namespace
}  // namespace kt::config
