#include <gtest/gtest.h>

#include "config/annotations.h"
#include "config/loader.h"
#include "config_test_support.h"

namespace kt::config {
namespace {

using testing::problemLines;

// --- the downward-API annotations file -------------------------------------------------------

TEST(ConfigAnnotationsFile, ReadsKeysValuesAndLines) {
  Annotations out;
  Problems problems;
  readAnnotationsFile(
      "kuma.io/gateway=\"enabled\"\n"
      "\n"
      "   \n"
      "traffic.kuma.io/exclude-inbound-ports=\"80, 443\"\n"
      "kubectl.kubernetes.io/last-applied-configuration=\"{\\\"a\\\":1}\\n\"\n",
      "/etc/podinfo/annotations", out, problems);
  EXPECT_TRUE(problems.empty()) << problems.toError().message();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out["kuma.io/gateway"].value, "enabled");
  EXPECT_EQ(out["kuma.io/gateway"].source,
            (Source{Source::Kind::kAnnotation, "kuma.io/gateway", "/etc/podinfo/annotations", 1}));
  EXPECT_EQ(out["traffic.kuma.io/exclude-inbound-ports"].value, "80, 443");
  EXPECT_EQ(out["traffic.kuma.io/exclude-inbound-ports"].source.line, 4);
  EXPECT_EQ(out["kubectl.kubernetes.io/last-applied-configuration"].value, "{\"a\":1}\n");
}

TEST(ConfigAnnotationsFile, EveryEscapeDecodes) {
  Annotations out;
  Problems problems;
  readAnnotationsFile(R"(k1="\a\b\f\n\r\t\v\\\"")"
                      "\n"
                      R"(k2="\x41\101\u00e9\U0001F600")",
                      "f", out, problems);
  ASSERT_TRUE(problems.empty()) << problems.toError().message();
  EXPECT_EQ(out["k1"].value, "\a\b\f\n\r\t\v\\\"");
  EXPECT_EQ(out["k2"].value, "AA\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(ConfigAnnotationsFile, LastLineWithoutNewline) {
  Annotations out;
  Problems problems;
  readAnnotationsFile("a=\"1\"\nb=\"2\"", "f", out, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(out["b"].value, "2");
  EXPECT_EQ(out["b"].source.line, 2);
}

TEST(ConfigAnnotationsFile, EveryMalformedLineIsAProblemWithFileAndLine) {
  Annotations out;
  Problems problems;
  readAnnotationsFile(
      "good=\"1\"\n"         // 1
      "no-equals-sign\n"     // 2
      "bad key=\"x\"\n"      // 3
      "unquoted=value\n"     // 4
      "trailing=\"x\" \n"    // 5
      "inner=\"a\"b\"\n"     // 6
      "escape=\"\\q\"\n"     // 7
      "good=\"2\"\n"         // 8 duplicate
      "=\"no key\"\n"        // 9
      "also-good=\"3\"\r\n"  // 10: a CRLF line ending (hand-made files) is accepted
      "last=\"ok\"\n",       // 11
      "/ann", out, problems);
  EXPECT_EQ(problemLines(problems.toError()),
            (std::vector<std::string>{
                "annotations file /ann:2: expected key=\"value\", got 'no-equals-sign'",
                "annotations file /ann:3: malformed annotation key 'bad key'",
                "annotations file /ann:4: annotation unquoted: the value is not a double-quoted "
                "string",
                "annotations file /ann:5: annotation trailing: the value is not a double-quoted "
                "string",
                "annotations file /ann:6: annotation inner: unescaped '\"' inside the quoted value",
                "annotations file /ann:7: annotation escape: unknown escape sequence '\\\\q'",
                "annotations file /ann:8: duplicate annotation good",
                "annotations file /ann:9: malformed annotation key ''",
            }));
  // The good lines are still read.
  EXPECT_EQ(out["good"].value, "1");
  EXPECT_EQ(out["also-good"].value, "3");
  EXPECT_EQ(out["last"].value, "ok");
}

TEST(ConfigAnnotationsFile, KeyGrammar) {
  EXPECT_TRUE(validAnnotationKey("kuma.io/gateway"));
  EXPECT_TRUE(validAnnotationKey("simple"));
  EXPECT_TRUE(validAnnotationKey("a.b-c_d/E.f-1"));
  for (const char* bad : {"", "/x", "x/", "a/b/c", "a b", "a=b", "a\"b", "k\n"})
    EXPECT_FALSE(validAnnotationKey(bad)) << bad;
  EXPECT_FALSE(validAnnotationKey(std::string(318, 'a')));
}

// --- Pod manifests -------------------------------------------------------------------------------

TEST(ConfigPodManifest, Json) {
  Annotations out;
  Problems problems;
  readPodManifest(R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "web",
    "annotations": {
      "kuma.io/gateway": "enabled",
      "traffic.kuma.io/exclude-outbound-ports": "5432"
    }
  },
  "spec": {"containers": []}
})",
                  "pod.json", out, problems);
  ASSERT_TRUE(problems.empty()) << problems.toError().message();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out["kuma.io/gateway"].value, "enabled");
  EXPECT_EQ(out["kuma.io/gateway"].source,
            (Source{Source::Kind::kAnnotation, "kuma.io/gateway", "pod.json", 7}));
  EXPECT_EQ(out["traffic.kuma.io/exclude-outbound-ports"].value, "5432");
}

TEST(ConfigPodManifest, JsonIndentedWithTabs) {
  Annotations out;
  Problems problems;
  readPodManifest(
      "{\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\n\t\t\"annotations\": {\n\t\t\t\"a\": "
      "\"1\"\n\t\t}\n\t}\n}\n",
      "pod.json", out, problems);
  ASSERT_TRUE(problems.empty()) << problems.toError().message();
  EXPECT_EQ(out["a"].value, "1");
}

TEST(ConfigPodManifest, Yaml) {
  Annotations out;
  Problems problems;
  readPodManifest(
      "apiVersion: v1\n"
      "kind: Pod\n"
      "metadata:\n"
      "  name: web\n"
      "  annotations:\n"
      "    kuma.io/builtin-dns: enabled\n"
      "    kuma.io/builtin-dns-port: \"25053\"\n"
      "    traffic.kuma.io/exclude-inbound-ports: 1234\n",
      "pod.yaml", out, problems);
  ASSERT_TRUE(problems.empty()) << problems.toError().message();
  EXPECT_EQ(out["kuma.io/builtin-dns"].value, "enabled");
  EXPECT_EQ(out["kuma.io/builtin-dns-port"].value, "25053");
  EXPECT_EQ(out["traffic.kuma.io/exclude-inbound-ports"].value, "1234");
  EXPECT_EQ(out["traffic.kuma.io/exclude-inbound-ports"].source.line, 8);
}

TEST(ConfigPodManifest, NoAnnotationsIsFine) {
  Annotations out;
  Problems problems;
  readPodManifest("kind: Pod\nmetadata:\n  name: x\n", "p", out, problems);
  readPodManifest("kind: Pod\n", "p", out, problems);
  readPodManifest("metadata:\n  annotations:\n", "p", out, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(out.empty());
}

TEST(ConfigPodManifest, Malformed) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"kind: Deployment\n", "pod manifest m:1: kind is 'Deployment', expected Pod"},
      {"{\"kind\": \"List\", \"items\": []}", "pod manifest m:1: kind is 'List', expected Pod"},
      {"- a\n- b\n", "pod manifest m:1: expected a Pod object, got a list"},
      {"kind: Pod\nmetadata: [1]\n", "pod manifest m:2: metadata is not a mapping"},
      {"kind: Pod\nmetadata:\n  annotations: x\n",
       "pod manifest m:3: metadata.annotations is not a mapping"},
      {"kind: Pod\nmetadata:\n  annotations:\n    a: {b: c}\n",
       "pod manifest m:4: annotation a is a mapping, expected a string"},
      {"kind: Pod\nmetadata:\n  annotations:\n    a: 1\n    a: 2\n",
       "pod manifest m:5: duplicate annotation a"},
      {"kind: Pod\nmetadata:\n  annotations:\n    'a b': 1\n",
       "pod manifest m:4: malformed annotation key 'a b'"},
      {"{\"kind\": \"Pod\",",
       "pod manifest m: not valid JSON or YAML: line 1, column 1: end of map flow not found"},
  };
  for (const auto& c : cases) {
    Annotations out;
    Problems problems;
    readPodManifest(c.text, "m", out, problems);
    ASSERT_EQ(problems.size(), 1u) << c.text;
    EXPECT_EQ(problems.lines()[0], c.problem) << c.text;
  }
}

// --- --annotation ----------------------------------------------------------------------------

TEST(ConfigAnnotationFlag, KeyEqualsValue) {
  Annotations out;
  Problems problems;
  readAnnotationFlag("kuma.io/sidecar-env-vars=A=1;B=2", out, problems);
  readAnnotationFlag("empty=", out, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(out["kuma.io/sidecar-env-vars"].value, "A=1;B=2");
  EXPECT_EQ(out["kuma.io/sidecar-env-vars"].source.describe(),
            "annotation kuma.io/sidecar-env-vars (--annotation)");
  EXPECT_EQ(out["empty"].value, "");
  readAnnotationFlag("novalue", out, problems);
  readAnnotationFlag("bad key=1", out, problems);
  EXPECT_EQ(problems.lines(),
            (std::vector<std::string>{"flag --annotation: 'novalue' is not key=value",
                                      "flag --annotation: malformed annotation key 'bad key'"}));
}

// --- mapping to settings ---------------------------------------------------------------------

Config configFrom(const std::map<std::string, std::string>& a) {
  auto r = fromAnnotations(a, "pod ns/p", false);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r->config : Config{};
}

TEST(ConfigAnnotationMapping, PortsFamilyAndUser) {
  auto c = configFrom({{"kuma.io/transparent-proxying-inbound-port", "16006"},
                       {"kuma.io/transparent-proxying-outbound-port", "16001"},
                       {"kuma.io/transparent-proxying-inbound-v6-port", "0"},
                       {"kuma.io/transparent-proxying-ip-family-mode", "ipv4"},
                       {"kuma.io/sidecar-uid", "1234"}});
  EXPECT_EQ(c.inbound.port, 16006);
  EXPECT_EQ(c.outbound.port, 16001);
  EXPECT_EQ(c.inbound.portV6, 0);
  EXPECT_FALSE(c.ipv6Requested());
  EXPECT_EQ(c.ipFamilyMode, IpFamilyMode::kIpv4);
  EXPECT_FALSE(c.ipFamilyModeExplicit);
  EXPECT_EQ(c.kumaDpUser.str(), "1234");
}

TEST(ConfigAnnotationMapping, Exclusions) {
  auto c = configFrom(
      {{"traffic.kuma.io/exclude-inbound-ports", "1234,1235"},
       {"traffic.kuma.io/exclude-outbound-ports", "1236, 5000-5010"},
       {"traffic.kuma.io/exclude-inbound-ips", "10.0.0.0/8, fd00::/8"},
       {"traffic.kuma.io/exclude-outbound-ips", "10.0.0.1,172.16.0.0/16,fe80::1"},
       {"traffic.kuma.io/exclude-outbound-ports-for-uids", "tcp:22:1000; udp:53:1001-1002;;"}});
  EXPECT_EQ(c.inbound.excludePorts, (std::vector<PortRange>{{1234, 1235}}));
  EXPECT_EQ(c.outbound.excludePorts, (std::vector<PortRange>{{1236, 1236}, {5000, 5010}}));
  EXPECT_EQ(c.inbound.excludeIps.size(), 2u);
  EXPECT_EQ(c.outbound.excludeIps.size(), 3u);
  ASSERT_EQ(c.outbound.excludePortsForUids.size(), 2u);
  EXPECT_EQ(c.outbound.excludePortsForUids[0].protocols, (std::vector<Protocol>{Protocol::kTcp}));
  EXPECT_EQ(c.outbound.excludePortsForUids[1].uids, (UidRange{1001, 1002}));
}

TEST(ConfigAnnotationMapping, BooleanStyleForDropInvalidAndLogs) {
  auto c = configFrom(
      {{"traffic.kuma.io/drop-invalid-packets", "yes"}, {"traffic.kuma.io/iptables-logs", "true"}});
  EXPECT_TRUE(c.dropInvalidPackets);
  EXPECT_TRUE(c.logs);
  auto r = fromAnnotations({{"traffic.kuma.io/drop-invalid-packets", "enabled"},
                            {"traffic.kuma.io/iptables-logs", "disabled"}},
                           "pod ns/p", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "annotation traffic.kuma.io/drop-invalid-packets (pod ns/p): wrong value "
                "'enabled': expected true, false, yes or no",
                "annotation traffic.kuma.io/iptables-logs (pod ns/p): wrong value 'disabled': "
                "expected true, false, yes or no"}));
}

TEST(ConfigAnnotationMapping, BuiltinDnsBothSpellings) {
  for (const char* key : {"kuma.io/builtindns", "kuma.io/builtin-dns"}) {
    auto c = configFrom({{key, "enabled"}});
    EXPECT_TRUE(c.dns.enabled) << key;
    EXPECT_TRUE(c.dns.captureAll) << key;
    auto off = configFrom({{key, "disabled"}});
    EXPECT_FALSE(off.dns.enabled) << key;
  }
  EXPECT_EQ(configFrom({{"kuma.io/builtindnsport", "25053"}}).dns.port, 25053);
  EXPECT_EQ(configFrom({{"kuma.io/builtin-dns-port", "25054"}}).dns.port, 25054);
  // The newer spelling wins when both are present.
  auto both = configFrom({{"kuma.io/builtindns", "disabled"},
                          {"kuma.io/builtin-dns", "enabled"},
                          {"kuma.io/builtindnsport", "1111"},
                          {"kuma.io/builtin-dns-port", "2222"}});
  EXPECT_TRUE(both.dns.enabled);
  EXPECT_EQ(both.dns.port, 2222);
}

TEST(ConfigAnnotationMapping, GatewayDisablesInbound) {
  EXPECT_FALSE(configFrom({{"kuma.io/gateway", "enabled"}}).inbound.enabled);
  EXPECT_TRUE(configFrom({{"kuma.io/gateway", "disabled"}}).inbound.enabled);
  auto r = fromAnnotations({{"kuma.io/gateway", "builtin"}}, "pod ns/p", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "annotation kuma.io/gateway (pod ns/p): wrong value 'builtin': expected enabled, "
            "disabled, true, false, yes or no");
}

TEST(ConfigAnnotationMapping, ProbeProxyPortIsAppendedToExcludedInboundPorts) {
  auto c = configFrom({{"traffic.kuma.io/exclude-inbound-ports", "1234"},
                       {"kuma.io/application-probe-proxy-port", "9001"}});
  EXPECT_EQ(c.inbound.excludePorts, (std::vector<PortRange>{{1234, 1234}, {9001, 9001}}));
  EXPECT_EQ(c.inbound.applicationProbeProxyPort, 9001);
  auto only = configFrom({{"kuma.io/application-probe-proxy-port", "9001"}});
  EXPECT_EQ(only.inbound.excludePorts, (std::vector<PortRange>{{9001, 9001}}));
  auto none = configFrom({{"kuma.io/application-probe-proxy-port", "0"}});
  EXPECT_TRUE(none.inbound.excludePorts.empty());
}

TEST(ConfigAnnotationMapping, TransparentProxyingDisabled) {
  auto r = fromAnnotations({{"kuma.io/transparent-proxying", "disabled"}}, "pod ns/p", false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->disabled);
  EXPECT_EQ(r->provenance.at("transparentProxying").describe(),
            "annotation kuma.io/transparent-proxying (pod ns/p)");
  auto on = fromAnnotations({{"kuma.io/transparent-proxying", "enabled"}}, "pod ns/p", false);
  ASSERT_TRUE(on.ok());
  EXPECT_FALSE(on->disabled);
}

TEST(ConfigAnnotationMapping, DisabledTurnsProblemsIntoWarnings) {
  auto r = fromAnnotations({{"kuma.io/transparent-proxying", "disabled"},
                            {"kuma.io/transparent-proxying-inbound-port", "x"}},
                           "pod ns/p", false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->disabled);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0],
            "annotation kuma.io/transparent-proxying-inbound-port (pod ns/p): value 'x' is not a "
            "valid port (uint16 in the range [1, 65535]) (ignored: transparent proxying is "
            "disabled)");
}

TEST(ConfigAnnotationMapping, EbpfSelectsTheEbpfBackend) {
  auto c = configFrom({{"kuma.io/transparent-proxying-ebpf", "enabled"},
                       {"kuma.io/transparent-proxying-ebpf-bpf-fs-path", "/sys/fs/bpf"},
                       {"kuma.io/transparent-proxying-ebpf-cgroup-path", "/sys/fs/cgroup/unified"},
                       {"kuma.io/transparent-proxying-ebpf-programs-source-path", "/tmp/kuma-ebpf"},
                       {"kuma.io/transparent-proxying-ebpf-tc-attach-iface", "eth0"},
                       {"kuma.io/transparent-proxying-ebpf-instance-ip-env-var-name", "POD_IP"}});
  EXPECT_TRUE(c.ebpf.enabled);
  EXPECT_EQ(c.effectiveBackend(), Backend::kEbpf);
  EXPECT_EQ(c.ebpf.bpffsPath, "/sys/fs/bpf");
  EXPECT_EQ(c.ebpf.cgroupPath, "/sys/fs/cgroup/unified");
  EXPECT_EQ(c.ebpf.programsSourcePath, "/tmp/kuma-ebpf");
  EXPECT_EQ(c.ebpf.tcAttachIface, "eth0");
  EXPECT_EQ(c.ebpf.instanceIpEnvVarName, "POD_IP");
  EXPECT_EQ(configFrom({{"kuma.io/transparent-proxying-ebpf", "disabled"}}).effectiveBackend(),
            Backend::kIptables);
}

TEST(ConfigAnnotationMapping, ExperimentalEngineSelectsNftables) {
  EXPECT_EQ(configFrom({{"kuma.io/transparent-proxying-experimental-engine", "enabled"}}).backend,
            Backend::kNftables);
  EXPECT_EQ(configFrom({{"kuma.io/transparent-proxying-experimental-engine", "disabled"}}).backend,
            Backend::kAuto);
  // eBPF and the nftables engine together are a conflict, not a silent choice.
  auto r = fromAnnotations({{"kuma.io/transparent-proxying-experimental-engine", "enabled"},
                            {"kuma.io/transparent-proxying-ebpf", "enabled"}},
                           "pod ns/p", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "ebpf.enabled (annotation kuma.io/transparent-proxying-ebpf (pod ns/p)) selects the "
            "eBPF backend, but backend is nftables (annotation "
            "kuma.io/transparent-proxying-experimental-engine (pod ns/p)); choose one");
}

TEST(ConfigAnnotationMapping, UnknownKumaKeysWarnOthersAreSilent) {
  auto r = fromAnnotations({{"kuma.io/mesh", "default"},
                            {"kuma.io/virtual-probes", "enabled"},
                            {"kuma.io/sidecar-env-vars", "A=1"},
                            {"app.kubernetes.io/name", "web"},
                            {"kuma.io/no-such-thing", "1"},
                            {"traffic.kuma.io/exclude-everything", "yes"},
                            {"traffic.kuma.io/transparent-proxy-config", "redirect: {}"}},
                           "pod ns/p", false);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->warnings,
            (std::vector<std::string>{
                "annotation kuma.io/no-such-thing (pod ns/p): unknown annotation, ignored",
                "annotation traffic.kuma.io/exclude-everything (pod ns/p): unknown annotation, "
                "ignored",
                "annotation traffic.kuma.io/transparent-proxy-config (pod ns/p): not read by the "
                "config stage; pass the configuration with --config-file"}));
  EXPECT_EQ(r->config, Config{});
}

TEST(ConfigAnnotationMapping, CniModeRefusesUserNames) {
  auto r = fromAnnotations({{"kuma.io/sidecar-uid", "kuma-dp"}}, "pod ns/p", true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "kumaDPUser (annotation kuma.io/sidecar-uid (pod ns/p)): 'kuma-dp' is a user name, but "
            "CNI mode accepts only numeric uids");
  auto ok = fromAnnotations({{"kuma.io/sidecar-uid", "5678"}}, "pod ns/p", true);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->run.cniMode);
}

}  // namespace
}  // namespace kt::config
