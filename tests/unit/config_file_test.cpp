#include <gtest/gtest.h>

#include <cstdio>

#include "config/config_file.h"
#include "config/loader.h"
#include "config/values.h"
#include "config_test_support.h"

namespace kt::config {
namespace {

using testing::problemLines;
using testing::TempFile;

Result<Loaded> loadFile(const std::string& text, const std::string& suffix = ".yaml") {
  TempFile f(text, suffix);
  LoadRequest req;
  req.configFile = f.path();
  return load(req);
}

// Every config-file key of Kuma's schema (and ours) with a non-default value.
constexpr const char* kFullYaml = R"(kumaDPUser: "1234"
ipFamilyMode: ipv4
redirect:
  inbound:
    enabled: true
    port: 16006
    portIPv6: 16010
    excludePorts: [9000, 9100-9200]
    excludePortsForIPs:
      - 10.0.0.0/8
      - fd00::/8
    insertRedirectInsteadOfAppend: true
  outbound:
    enabled: true
    port: 16001
    includePorts: "80, 443"
    excludePortsForIPs: 192.168.0.1
    excludePortsForUIDs:
      - "tcp:22:1000"
      - "udp:*:1001-1002"
    insertRedirectInsteadOfAppend: true
  dns:
    enabled: true
    port: 16053
    captureAll: false
    skipConntrackZoneSplit: true
    resolvConfigPath: /tmp/resolv.conf
ebpf:
  enabled: true
  instanceIP: 10.1.2.3
  instanceIPEnvVarName: POD_IP
  bpffsPath: /sys/fs/bpf
  cgroupPath: /sys/fs/cgroup/unified
  programsSourcePath: /opt/bpf
  tcAttachIface: eth1
dropInvalidPackets: true
log:
  enabled: true
  level: 4
comments:
  disabled: true
wait: 10
waitInterval: 1000
retry:
  maxRetries: 2
  sleepBetweenRetries: 500ms
verbose: true
dryRun: true
cniMode: true
backend: ebpf
)";

void expectFullConfig(const Config& c, const RunOptions& run) {
  EXPECT_EQ(c.kumaDpUser.str(), "1234");
  EXPECT_EQ(c.ipFamilyMode, IpFamilyMode::kIpv4);
  EXPECT_FALSE(c.ipFamilyModeExplicit);
  EXPECT_EQ(c.inbound.port, 16006);
  EXPECT_EQ(c.inbound.portV6, 16010);
  EXPECT_EQ(c.inbound.excludePorts, (std::vector<PortRange>{{9000, 9000}, {9100, 9200}}));
  EXPECT_EQ(c.inbound.excludeIps.size(), 2u);
  EXPECT_TRUE(c.inbound.insertInsteadOfAppend);
  EXPECT_EQ(c.outbound.port, 16001);
  EXPECT_EQ(c.outbound.includePorts, (std::vector<PortRange>{{80, 80}, {443, 443}}));
  ASSERT_EQ(c.outbound.excludeIps.size(), 1u);
  EXPECT_EQ(c.outbound.excludeIps[0].str(), "192.168.0.1/32");
  ASSERT_EQ(c.outbound.excludePortsForUids.size(), 2u);
  EXPECT_EQ(c.outbound.excludePortsForUids[1].uids, (UidRange{1001, 1002}));
  EXPECT_TRUE(c.outbound.insertInsteadOfAppend);
  EXPECT_TRUE(c.dns.enabled);
  EXPECT_FALSE(c.dns.captureAll);
  EXPECT_EQ(c.dns.port, 16053);
  EXPECT_FALSE(c.dns.conntrackZoneSplit);
  EXPECT_EQ(c.dns.resolvConfPath, "/tmp/resolv.conf");
  EXPECT_TRUE(c.ebpf.enabled);
  EXPECT_EQ(formatIps(c.ebpf.instanceIps), "10.1.2.3");
  EXPECT_EQ(c.ebpf.instanceIpEnvVarName, "POD_IP");
  EXPECT_EQ(c.ebpf.bpffsPath, "/sys/fs/bpf");
  EXPECT_EQ(c.ebpf.cgroupPath, "/sys/fs/cgroup/unified");
  EXPECT_EQ(c.ebpf.programsSourcePath, "/opt/bpf");
  EXPECT_EQ(c.ebpf.tcAttachIface, "eth1");
  EXPECT_TRUE(c.dropInvalidPackets);
  EXPECT_TRUE(c.logs);
  EXPECT_EQ(c.logLevel, 4);
  EXPECT_FALSE(c.comments);
  EXPECT_EQ(c.waitSeconds, 10u);
  EXPECT_EQ(c.waitIntervalMicros, 1000u);
  EXPECT_EQ(c.retry.maxRetries, 2u);
  EXPECT_EQ(c.retry.sleepBetweenRetries, std::chrono::milliseconds(500));
  EXPECT_TRUE(run.verbose);
  EXPECT_TRUE(run.dryRun);
  EXPECT_TRUE(run.cniMode);
  EXPECT_EQ(c.backend, Backend::kEbpf);
}

TEST(ConfigFile, EveryKeyInYaml) {
  auto r = loadFile(kFullYaml);
  ASSERT_TRUE(r.ok()) << r.error().message();
  expectFullConfig(r->config, r->run);
}

TEST(ConfigFile, EveryKeyInJson) {
  auto r = loadFile(R"({
  "kumaDPUser": "1234", "ipFamilyMode": "ipv4",
  "redirect": {
    "inbound": {"enabled": true, "port": 16006, "portIPv6": 16010,
                "excludePorts": [9000, "9100-9200"],
                "excludePortsForIPs": ["10.0.0.0/8", "fd00::/8"],
                "insertRedirectInsteadOfAppend": true},
    "outbound": {"enabled": true, "port": 16001, "includePorts": [80, 443],
                 "excludePortsForIPs": "192.168.0.1",
                 "excludePortsForUIDs": ["tcp:22:1000", "udp:*:1001-1002"],
                 "insertRedirectInsteadOfAppend": true},
    "dns": {"enabled": true, "port": 16053, "captureAll": false,
            "skipConntrackZoneSplit": true, "resolvConfigPath": "/tmp/resolv.conf"}
  },
  "ebpf": {"enabled": true, "instanceIP": "10.1.2.3", "instanceIPEnvVarName": "POD_IP",
           "bpffsPath": "/sys/fs/bpf", "cgroupPath": "/sys/fs/cgroup/unified",
           "programsSourcePath": "/opt/bpf", "tcAttachIface": "eth1"},
  "dropInvalidPackets": true,
  "log": {"enabled": true, "level": 4},
  "comments": {"disabled": true},
  "wait": 10, "waitInterval": 1000,
  "retry": {"maxRetries": 2, "sleepBetweenRetries": "500ms"},
  "verbose": true, "dryRun": true, "cniMode": true, "backend": "ebpf"
})",
                    ".json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  expectFullConfig(r->config, r->run);
}

TEST(ConfigFile, KumasInjectedConfigMapIsAccepted) {
  // The shape Kuma's control plane serializes (kuma.md 2.6), including keys without effect here.
  auto r = loadFile(R"(kumaDPUser: "5678"
ipFamilyMode: dualstack
redirect:
  dns:
    enabled: true
    captureAll: true
    port: 15053
  inbound:
    port: 15006
    excludePorts:
    - 9000
    excludePortsForUIDs: []
  outbound:
    port: 15001
  vnet:
    networks: []
retry:
  maxRetries: 4
  sleepBetweenRetries: 2s
wait: 5
waitInterval: 0
storeFirewalld: false
)");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->config.dns.enabled);
  EXPECT_TRUE(r->config.dns.captureAll);
  EXPECT_EQ(r->config.inbound.excludePorts, (std::vector<PortRange>{{9000, 9000}}));
}

TEST(ConfigFile, EmptyFileAndNullValuesKeepDefaults) {
  auto empty = loadFile("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->config, Config{});
  auto nulls = loadFile("redirect:\n  inbound:\n    port:\n  outbound: ~\nwait: null\n");
  ASSERT_TRUE(nulls.ok()) << nulls.error().message();
  EXPECT_EQ(nulls->config, Config{});
  EXPECT_TRUE(nulls->provenance.empty());
}

TEST(ConfigFile, EmptyListClearsAndIsRecorded) {
  auto r = loadFile("redirect:\n  inbound:\n    excludePorts: []\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->config.inbound.excludePorts.empty());
  EXPECT_EQ(r->provenance.count("redirect.inbound.excludePorts"), 1u);
}

TEST(ConfigFile, StructuralProblemsNameFileAndLine) {
  TempFile f(
      "redirect:\n"                      // 1
      "  inbond:\n"                      // 2 unknown
      "    port: 1\n"                    // 3
      "  outbound:\n"                    // 4
      "    port: [1, 2]\n"               // 5 list for a scalar
      "    excludePorts: {a: 1}\n"       // 6 mapping for a value
      "    excludePortsForIPs: [[1]]\n"  // 7 nested list
      "  dns: 53\n"                      // 8 value for a section
      "wait: 1\n"                        // 9
      "wait: 2\n"                        // 10 duplicate
      "storeFirewalld: true\n"           // 11 unsupported
      "netns: /x\n"                      // 12 not a file key
      "log:\n"                           // 13
      "  level: 9\n",                    // 14 bad value
      ".yaml");
  LoadRequest req;
  req.configFile = f.path();
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  const std::string& p = f.path();
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "config file " + p + ":2: unknown key redirect.inbond",
                "config file " + p +
                    ":5 (redirect.outbound.port): expected a single value, got a "
                    "list",
                "config file " + p +
                    ":6 (redirect.outbound.excludePorts): expected a value, got "
                    "a mapping",
                "config file " + p +
                    ":7 (redirect.outbound.excludePortsForIPs): list items must "
                    "be values, got a list",
                "config file " + p + ":8 (redirect.dns): expected a mapping, got a value",
                "config file " + p + ":10: duplicate key wait",
                "config file " + p +
                    ":11 (storeFirewalld): this Kuma setting is not supported by "
                    "kuma-tproxy; remove it",
                "config file " + p + ":12: unknown key netns",
                "config file " + p +
                    ":14 (log.level): value '9' is not a valid number (an "
                    "integer in [0, 7])",
            }));
}

TEST(ConfigFile, BadListItemsNameTheirOwnLine) {
  TempFile f(
      "redirect:\n"
      "  outbound:\n"
      "    excludePorts:\n"
      "      - 80\n"
      "      - eighty\n"
      "      - 443\n"
      "      - 0\n",
      ".yaml");
  LoadRequest req;
  req.configFile = f.path();
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "config file " + f.path() +
                    ":5 (redirect.outbound.excludePorts): value 'eighty' is not a valid port "
                    "(uint16 in the range [1, 65535])",
                "config file " + f.path() +
                    ":7 (redirect.outbound.excludePorts): value '0' is not a valid port (uint16 "
                    "in the range [1, 65535])"}));
}

TEST(ConfigFile, SyntaxErrorsAndTopLevelShape) {
  auto bad = loadFile("redirect: {inbound: [\n");
  ASSERT_FALSE(bad.ok());
  auto lines = problemLines(bad.error());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("not valid YAML or JSON: line "), std::string::npos) << lines[0];

  auto list = loadFile("- a\n- b\n");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(problemLines(list.error())[0].find("expected a mapping at the top level, got a list"),
            std::string::npos);
}

TEST(ConfigFile, UnreadableAndTooLarge) {
  LoadRequest req;
  req.configFile = "/nonexistent/kt-config-test-" + std::to_string(::getpid());
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "flag --config-file: cannot open " + req.configFile + ": No such file or directory");

  TempFile big(std::string(kMaxConfigFileBytes + 1, '#'));
  req.configFile = big.path();
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0], "flag --config-file: " + big.path() +
                                            " is larger than 1048576 bytes, the most accepted");
}

// Exclusion lists at their entry limits, as YAML sequences one entry per line: 65536 port
// entries (every port but the default redirect ports, which cannot be excluded, then duplicates
// of port 80), and 10 000 IPv6 addresses written out in full. Each file stays within
// kMaxConfigFileBytes, which bounds what yaml-cpp spends on one (docs/bench.md).
TEST(ConfigFile, ListsAtTheirLimits) {
  std::string ports = "redirect:\n  outbound:\n    excludePorts:\n";
  int entries = 0;
  for (int p = 1; p <= 65535; ++p) {
    if (p == 15001 || p == 15006 || p == 15010) continue;
    ports += "      - " + std::to_string(p) + "\n";
    ++entries;
  }
  for (; entries < 65536; ++entries)
    ports += "      - 80\n";
  std::string ips = "redirect:\n  inbound:\n    excludePortsForIPs:\n";
  for (int i = 0; i < 10000; ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "      - fd00:1234:5678:9abc:def0:1234:%04x:%04x/128\n",
                  i / 65536, i % 65536);
    ips += buf;
  }
  for (const auto* text : {&ports, &ips})
    ASSERT_LE(text->size(), kMaxConfigFileBytes);

  TempFile portsFile(ports), ipsFile(ips);
  LoadRequest req;
  req.configFile = portsFile.path();
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.outbound.excludePorts,
            (std::vector<PortRange>{{1, 15000}, {15002, 15005}, {15007, 15009}, {15011, 65535}}));
  req.configFile = ipsFile.path();
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.inbound.excludeIps.size(), 10000u);
}

TEST(ConfigFile, Stdin) {
  LoadRequest req;
  req.configFile = "-";
  int calls = 0;
  req.readStdin = [&](size_t max) -> Result<std::string> {
    ++calls;
    EXPECT_EQ(max, kMaxConfigFileBytes);
    return std::string("redirect:\n  inbound:\n    port: x\n");
  };
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(problemLines(r.error())[0],
            "config file <stdin>:3 (redirect.inbound.port): value 'x' is not a valid port (uint16 "
            "in the range [1, 65535])");

  req.readStdin = nullptr;
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0], "flag --config-file: '-' (stdin) is not accepted here");
}

}  // namespace
}  // namespace kt::config
