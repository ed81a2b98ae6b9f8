#include <gtest/gtest.h>

#include <cstdio>

#include "config/loader.h"
#include "config/values.h"
#include "config_test_support.h"

namespace kt::config {
namespace {

using testing::headerLine;
using testing::problemLines;
using testing::TempFile;

FlagValue flag(const std::string& name, const std::string& value = "true") {
  return FlagValue{name, value};
}

// One request with every layer setting redirect.inbound.port; `upTo` keeps layers up to it.
struct FiveLayers {
  TempFile file{"redirect:\n  inbound:\n    port: 1001\n", ".yaml"};
  TempFile annotations{"kuma.io/transparent-proxying-inbound-port=\"1002\"\n"};

  LoadRequest upTo(Source::Kind top) const {
    LoadRequest req;
    if (top >= Source::Kind::kConfigFile) req.configFile = file.path();
    if (top >= Source::Kind::kAnnotation) req.annotationsFile = annotations.path();
    if (top >= Source::Kind::kEnvironment) {
      req.environment["KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT"] = "1003";
    }
    if (top >= Source::Kind::kFlag) req.flags = {flag("--redirect-inbound-port", "1004")};
    return req;
  }
};

TEST(ConfigLoader, PrecedenceAcrossAllFiveLayers) {
  FiveLayers layers;
  struct Expect {
    Source::Kind top;
    uint16_t port;
    std::string provenance;
  };
  const Expect cases[] = {
      {Source::Kind::kDefault, 15006, ""},
      {Source::Kind::kConfigFile, 1001,
       "redirect.inbound.port = 1001 (config file " + layers.file.path() +
           ":3 (redirect.inbound.port))\n"},
      {Source::Kind::kAnnotation, 1002,
       "redirect.inbound.port = 1002 (annotation kuma.io/transparent-proxying-inbound-port (" +
           layers.annotations.path() + ":1))\n"},
      {Source::Kind::kEnvironment, 1003,
       "redirect.inbound.port = 1003 (environment "
       "KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT)\n"},
      {Source::Kind::kFlag, 1004, "redirect.inbound.port = 1004 (flag --redirect-inbound-port)\n"},
  };
  for (const auto& c : cases) {
    auto r = load(layers.upTo(c.top));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->config.inbound.port, c.port) << sourceKindName(c.top);
    EXPECT_EQ(describeProvenance(*r), c.provenance) << sourceKindName(c.top);
  }
}

TEST(ConfigLoader, AnnotationInputsMergeFileThenManifestThenFlag) {
  TempFile file(
      "kuma.io/transparent-proxying-outbound-port=\"2001\"\n"
      "kuma.io/transparent-proxying-inbound-port=\"3001\"\n");
  TempFile manifest(
      "kind: Pod\nmetadata:\n  annotations:\n"
      "    kuma.io/transparent-proxying-outbound-port: \"2002\"\n",
      ".yaml");
  LoadRequest req;
  req.annotationsFile = file.path();
  req.podManifest = manifest.path();
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.outbound.port, 2002);
  EXPECT_EQ(r->config.inbound.port, 3001);
  req.annotations = {"kuma.io/transparent-proxying-outbound-port=2003"};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.outbound.port, 2003);
  EXPECT_EQ(r->provenance.at("redirect.outbound.port").describe(),
            "annotation kuma.io/transparent-proxying-outbound-port (--annotation)");
}

TEST(ConfigLoader, ListsAreReplacedAcrossLayersAndAddUpWithinOne) {
  TempFile file("redirect:\n  outbound:\n    excludePorts: [1, 2]\n", ".yaml");
  LoadRequest req;
  req.configFile = file.path();
  req.flags = {flag("--exclude-outbound-ports", "10,11"), flag("--redirect-inbound-port", "7"),
               flag("--exclude-outbound-ports", "12"), flag("--redirect-inbound-port", "8")};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.outbound.excludePorts, (std::vector<PortRange>{{10, 12}}));
  EXPECT_EQ(r->config.inbound.port, 8);  // the last scalar wins

  req.flags = {flag("--exclude-outbound-ips", "10.0.0.1,fd00::1"),
               flag("--exclude-outbound-ips", "192.168.0.0/16")};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.outbound.excludeIps.size(), 3u);

  req.flags = {flag("--exclude-outbound-ports-for-uids", "tcp:80:1"),
               flag("--exclude-outbound-ports-for-uids", "udp:53:2")};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->config.outbound.excludePortsForUids.size(), 2u);
  EXPECT_EQ(r->config.outbound.excludePortsForUids[0].uids, (UidRange{1, 1}));
  EXPECT_EQ(r->config.outbound.excludePortsForUids[1].uids, (UidRange{2, 2}));
}

// The loader is the one place lists are normalized: what it returns passes the check the rule
// builder and the eBPF plan make, and no consumer sorts or merges again.
TEST(ConfigLoader, ListsLeaveNormalized) {
  TempFile file("redirect:\n  inbound:\n    includePorts: [9090, 8080, 8081]\n", ".yaml");
  LoadRequest req;
  req.configFile = file.path();
  req.flags = {flag("--exclude-outbound-ports", "443,80,81,79-80"),
               flag("--exclude-inbound-ips", "fd00::1,10.1.0.0/16,10.0.0.0/8,fd00::/8"),
               flag("--exclude-outbound-ips", "192.168.1.1,10.0.0.1,192.168.1.1"),
               flag("--exclude-outbound-ports-for-uids", "tcp:90,81,80-85:1000")};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Config& c = r->config;
  EXPECT_EQ(unnormalizedList(c), std::nullopt);
  EXPECT_EQ(c.outbound.excludePorts, (std::vector<PortRange>{{79, 81}, {443, 443}}));
  EXPECT_EQ(c.inbound.includePorts, (std::vector<PortRange>{{8080, 8081}, {9090, 9090}}));
  EXPECT_EQ(formatCidrs(c.inbound.excludeIps), "10.0.0.0/8,fd00::/8");
  EXPECT_EQ(formatCidrs(c.outbound.excludeIps), "10.0.0.1/32,192.168.1.1/32");
  ASSERT_EQ(c.outbound.excludePortsForUids.size(), 1u);
  EXPECT_EQ(c.outbound.excludePortsForUids[0].ports, (std::vector<PortRange>{{80, 85}, {90, 90}}));
}

TEST(ConfigLoader, UnnormalizedListsAreNamedAndRepairedForConsumers) {
  Config c;
  EXPECT_EQ(unnormalizedList(c), std::nullopt);
  std::optional<Config> copy;
  EXPECT_EQ(&withNormalizedLists(c, copy, "a test"), &c);
  EXPECT_FALSE(copy);

  UidPortExclusion ex;
  ex.protocols = {Protocol::kTcp};
  ex.ports = {{81, 81}, {80, 80}};
  ex.uids = {1, 1};
  c.outbound.excludePortsForUids = {ex};
  EXPECT_EQ(unnormalizedList(c), "outbound.excludePortsForUids");
  c.outbound.excludeIps = {*Cidr::parse("10.0.0.0/8"), *Cidr::parse("10.0.0.1")};
  EXPECT_EQ(unnormalizedList(c), "outbound.excludeIps");
  c.inbound.excludePorts = {{443, 443}, {22, 22}};
  EXPECT_EQ(unnormalizedList(c), "inbound.excludePorts");

  const Config& fixed = withNormalizedLists(c, copy, "a test");
  ASSERT_TRUE(copy);
  EXPECT_EQ(&fixed, &*copy);
  EXPECT_EQ(unnormalizedList(fixed), std::nullopt);
  EXPECT_EQ(fixed.inbound.excludePorts, (std::vector<PortRange>{{22, 22}, {443, 443}}));
  EXPECT_EQ(formatCidrs(fixed.outbound.excludeIps), "10.0.0.0/8");
  EXPECT_EQ(fixed.outbound.excludePortsForUids[0].ports, (std::vector<PortRange>{{80, 81}}));
  EXPECT_EQ(c.inbound.excludePorts.front(), (PortRange{443, 443}));  // the input is untouched
}

TEST(ConfigLoader, EveryLayersProblemsAreReportedTogetherInLayerOrder) {
  TempFile file("wait: soon\n", ".yaml");
  TempFile annotations("kuma.io/gateway=\"perhaps\"\nkuma.io/builtin-dns-port=\"0\"\n");
  LoadRequest req;
  req.configFile = file.path();
  req.annotationsFile = annotations.path();
  req.environment = {{"KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_PORT", "65536"},
                     {"KUMA_TRANSPARENT_PROXY_IP_FAMILY_MODE", "ipv6"}};
  req.flags = {flag("--redirect-inbound-port", "x"), flag("--drop-invalid-packets", "yes"),
               flag("--backend", "pf")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(r.error().hint(), "nothing was changed; correct the values named above and run again");
  EXPECT_EQ(headerLine(r.error()), "invalid configuration (8 problems):");
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "config file " + file.path() +
                    ":1 (wait): value 'soon' is not a valid number (an integer in [0, 600])",
                "annotation kuma.io/gateway (" + annotations.path() +
                    ":1): wrong value 'perhaps': expected enabled, disabled, true, false, yes or "
                    "no",
                "annotation kuma.io/builtin-dns-port (" + annotations.path() +
                    ":2): value '0' is not a valid port (uint16 in the range [1, 65535])",
                "environment KUMA_TRANSPARENT_PROXY_IP_FAMILY_MODE: value 'ipv6' is invalid: must "
                "be one of 'dualstack' or 'ipv4'",
                "environment KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_PORT: value '65536' is not a "
                "valid port (uint16 in the range [1, 65535])",
                "flag --redirect-inbound-port: value 'x' is not a valid port (uint16 in the range "
                "[1, 65535])",
                "flag --drop-invalid-packets: value 'yes' is not a boolean (true or false)",
                "flag --backend: value 'pf' is not a backend: must be one of auto, iptables, "
                "iptables-legacy, iptables-nft, nftables, ebpf",
            }));
}

TEST(ConfigLoader, OverriddenBadValuesAreStillProblems) {
  LoadRequest req;
  req.environment = {{"KUMA_TRANSPARENT_PROXY_WAIT", "-1"}};
  req.flags = {flag("--wait", "3")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{"environment KUMA_TRANSPARENT_PROXY_WAIT: value '-1' is not "
                                      "a valid number (an integer in [0, 600])"}));
}

TEST(ConfigLoader, HostileValuesAreQuotedInProblems) {
  LoadRequest req;
  req.annotations = {"kuma.io/transparent-proxying-inbound-port=1\nE 00:00:00.000 forged"};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  auto lines = problemLines(r.error());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "annotation kuma.io/transparent-proxying-inbound-port (--annotation): value "
            "'1\\x0aE 00:00:00.000 forged' is not a valid port (uint16 in the range [1, 65535])");
}

TEST(ConfigLoader, ProblemsAreCappedButCounted) {
  LoadRequest req;
  for (int i = 0; i < 150; ++i)
    req.flags.push_back(flag("--wait", "x" + std::to_string(i)));
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  auto lines = problemLines(r.error());
  EXPECT_EQ(headerLine(r.error()), "invalid configuration (150 problems):");
  ASSERT_EQ(lines.size(), Problems::kMaxKept + 1);
  EXPECT_EQ(lines.back(), "... and 50 more");
}

// `entries` port entries: every port one by one except the default redirect ports (which
// cannot be excluded), then port 80 again until the count is reached (duplicates count).
std::string portEntries(int entries) {
  std::string ports;
  int n = 0;
  for (int p = 1; p <= 65535; ++p) {
    if (p == 15001 || p == 15006 || p == 15010) continue;
    ports += std::to_string(p) + ",";
    ++n;
  }
  for (; n < entries; ++n)
    ports += "80,";
  return ports;
}

// What portEntries() merges into.
const std::vector<PortRange> kAllButRedirectPorts = {
    {1, 15000}, {15002, 15005}, {15007, 15009}, {15011, 65535}};

// `n` distinct IPv6 /128 addresses, written out in full (the longest form an entry takes).
std::string longIpv6List(int n) {
  std::string ips;
  for (int i = 0; i < n; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "fd00:1234:5678:9abc:def0:1234:%04x:%04x/128,", i / 65536,
                  i % 65536);
    ips += buf;
  }
  return ips;
}

TEST(ConfigLoader, ListSizesAreLimited) {
  LoadRequest req;
  req.flags = {flag("--exclude-outbound-ports", portEntries(65537))};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "flag --exclude-outbound-ports: 65537 entries given; at most 65536 are accepted");

  req.flags = {flag("--exclude-outbound-ips", longIpv6List(10000)),
               flag("--exclude-outbound-ips", "10.0.0.1")};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "flag --exclude-outbound-ips: 10001 entries given; at most 10000 are accepted");

  req.flags.clear();
  for (int i = 0; i < 65; ++i)
    req.flags.push_back(flag("--exclude-outbound-ports-for-uids", std::to_string(i)));
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "flag --exclude-outbound-ports-for-uids: 65 entries given; at most 64 are accepted");
}

// The largest lists accepted, each in one value written out in full: 65536 port entries and
// 10 000 IPv6 addresses.
TEST(ConfigLoader, ListsAtTheirLimitsAreAccepted) {
  LoadRequest req;
  req.flags = {flag("--exclude-outbound-ports", portEntries(65536)),
               flag("--exclude-inbound-ports", portEntries(65536)),
               flag("--exclude-outbound-ips", longIpv6List(10000)),
               flag("--exclude-inbound-ips", longIpv6List(10000))};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  // Merged into ranges; the addresses are distinct.
  EXPECT_EQ(r->config.outbound.excludePorts, kAllButRedirectPorts);
  EXPECT_EQ(r->config.inbound.excludePorts, kAllButRedirectPorts);
  EXPECT_EQ(r->config.outbound.excludeIps.size(), 10000u);
  EXPECT_EQ(r->config.inbound.excludeIps.size(), 10000u);
}

// Large lists in annotations as Kubernetes can carry them (all annotations of a Pod together
// are at most 256 KiB): 5000 ports and 10 000 IPv4 addresses in the downward-API file.
TEST(ConfigLoader, LargeListsInAnnotations) {
  std::string ports, ips;
  for (int i = 0; i < 5000; ++i) {
    ports += (i ? "," : "") + std::to_string(20000 + 3 * i);
    ips += (i ? "," : "") +
           ("10.200." + std::to_string(i / 120) + "." + std::to_string(2 * (i % 120) + 1));
  }
  for (int i = 0; i < 5000; ++i)
    ips += ",10.201." + std::to_string(i / 200) + "." + std::to_string(i % 200);
  TempFile file("traffic.kuma.io/exclude-outbound-ports=\"" + ports +
                "\"\ntraffic.kuma.io/exclude-outbound-ips=\"" + ips + "\"\n");
  ASSERT_LE(ports.size() + ips.size(), 256u * 1024);
  LoadRequest req;
  req.annotationsFile = file.path();
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.outbound.excludePorts.size(), 5000u);
  EXPECT_EQ(r->config.outbound.excludeIps.size(), 10000u);
}

TEST(ConfigLoader, RedirectPortsMustDiffer) {
  LoadRequest req;
  req.flags = {flag("--redirect-inbound-port", "15001")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "redirect.inbound.port (flag --redirect-inbound-port) and redirect.outbound.port "
                "(default) are both 15001; each redirection needs its own port"}));

  // The DNS port counts only when DNS is redirected; IPv4 and IPv6 inbound may share a port.
  req.flags = {flag("--redirect-dns-port", "15001")};
  EXPECT_TRUE(load(req).ok());
  req.flags = {flag("--redirect-dns-port", "15001"), flag("--redirect-all-dns-traffic")};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "redirect.outbound.port (default) and redirect.dns.port (flag --redirect-dns-port) are "
            "both 15001; each redirection needs its own port");
  req.flags = {flag("--redirect-inbound-port-v6", "15006")};
  EXPECT_TRUE(load(req).ok());
  req.flags = {flag("--redirect-inbound-port-v6", "15001")};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "redirect.inbound.portIPv6 (flag --redirect-inbound-port-v6) and "
            "redirect.outbound.port (default) are both 15001; each redirection needs its own port");
  // Not checked when the IPv6 rules are off, nor for a disabled inbound direction.
  req.flags = {flag("--redirect-inbound-port-v6", "15001"), flag("--ip-family-mode", "ipv4")};
  EXPECT_TRUE(load(req).ok());
  req.flags = {flag("--redirect-inbound-port", "15001"), flag("--redirect-inbound", "false")};
  EXPECT_TRUE(load(req).ok());
}

TEST(ConfigLoader, RedirectPortsCannotBeExcluded) {
  LoadRequest req;
  req.flags = {flag("--exclude-inbound-ports", "15000-15010"),
               flag("--exclude-outbound-ports", "15001")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "redirect.inbound.port 15006 (default) is also in redirect.inbound.excludePorts "
                "(flag --exclude-inbound-ports); a redirect port cannot be excluded",
                "redirect.inbound.portIPv6 15010 (default) is also in "
                "redirect.inbound.excludePorts (flag --exclude-inbound-ports); a redirect port "
                "cannot be excluded",
                "redirect.outbound.port 15001 (default) is also in redirect.outbound.excludePorts "
                "(flag --exclude-outbound-ports); a redirect port cannot be excluded"}));

  req.flags.clear();
  req.annotations = {"kuma.io/application-probe-proxy-port=15006"};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "redirect.inbound.port 15006 (default) is also in applicationProbeProxyPort "
            "(annotation kuma.io/application-probe-proxy-port (--annotation)); a redirect port "
            "cannot be excluded");
}

TEST(ConfigLoader, IncludeAndExcludePortsExcludeEachOther) {
  TempFile file("redirect:\n  inbound:\n    includePorts: [80]\n", ".yaml");
  LoadRequest req;
  req.configFile = file.path();
  req.flags = {flag("--exclude-inbound-ports", "81")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "redirect.inbound.includePorts (config file " + file.path() +
                ":3 (redirect.inbound.includePorts)) and redirect.inbound.excludePorts (flag "
                "--exclude-inbound-ports) are both set; use only one of them for the inbound "
                "direction"}));
  // The probe port is not added to an include-only configuration (it is not redirected anyway).
  req.flags.clear();
  req.annotations = {"kuma.io/application-probe-proxy-port=9001"};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->config.inbound.excludePorts.empty());
}

TEST(ConfigLoader, DnsFlags) {
  LoadRequest req;
  req.flags = {flag("--redirect-dns"), flag("--redirect-all-dns-traffic")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{
                "only one of '--redirect-dns' or '--redirect-all-dns-traffic' should be "
                "specified"}));

  req.flags = {flag("--redirect-all-dns-traffic")};
  r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->config.dns.enabled);
  EXPECT_TRUE(r->config.dns.captureAll);
  EXPECT_EQ(r->provenance.at("redirect.dns.enabled").describe(), "flag --redirect-all-dns-traffic");

  // --redirect-dns means the resolv.conf servers only, also over a capture-all config file.
  TempFile file("redirect:\n  dns:\n    enabled: true\n    captureAll: true\n", ".yaml");
  req.configFile = file.path();
  req.flags = {flag("--redirect-dns")};
  r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->config.dns.enabled);
  EXPECT_FALSE(r->config.dns.captureAll);

  req.flags = {flag("--redirect-dns", "false"), flag("--redirect-all-dns-traffic", "false")};
  r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->config.dns.enabled);
  ASSERT_EQ(r->warnings.size(), 0u);
}

TEST(ConfigLoader, CaptureAllWithoutDnsEnabledWarns) {
  LoadRequest req;
  req.environment = {{"KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_CAPTURE_ALL", "true"}};
  auto r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->config.dns.enabled);
  EXPECT_EQ(r->warnings, (std::vector<std::string>{
                             "redirect.dns.captureAll (environment "
                             "KUMA_TRANSPARENT_PROXY_REDIRECT_DNS_CAPTURE_ALL) has no effect while "
                             "redirect.dns.enabled is false (default)"}));
}

TEST(ConfigLoader, ExplicitDualStackComesFromFlagsOrEnvironmentOnly) {
  LoadRequest req;
  req.annotations = {"kuma.io/transparent-proxying-ip-family-mode=dualstack"};
  auto r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->config.ipFamilyModeExplicit);
  req.environment = {{"KUMA_TRANSPARENT_PROXY_IP_FAMILY_MODE", "dualstack"}};
  r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->config.ipFamilyModeExplicit);
  req.environment.clear();
  req.flags = {flag("--ip-family-mode", "dualstack")};
  r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->config.ipFamilyModeExplicit);
}

TEST(ConfigLoader, EbpfInstanceIpFallsBackToTheNamedVariable) {
  LoadRequest req;
  req.flags = {flag("--ebpf-enabled")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{"ebpf.instanceIP: the eBPF backend needs the pod's IP "
                                      "address: pass --ebpf-instance-ip or set the INSTANCE_IP "
                                      "variable"}));

  req.environment = {{"INSTANCE_IP", "10.0.0.7"}};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatIps(r->config.ebpf.instanceIps), "10.0.0.7");
  EXPECT_EQ(r->provenance.at("ebpf.instanceIP").describe(), "environment INSTANCE_IP");

  req.annotations = {"kuma.io/transparent-proxying-ebpf-instance-ip-env-var-name=POD_IP"};
  req.environment = {{"INSTANCE_IP", "10.0.0.7"}, {"POD_IP", "fd00::7"}};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatIps(r->config.ebpf.instanceIps), "fd00::7");

  req.environment = {{"POD_IP", "not-an-ip"}};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "environment POD_IP: value 'not-an-ip' is not an IP address");

  // An explicit flag wins over the variable; --backend ebpf needs the address too.
  req.flags = {flag("--backend", "ebpf"), flag("--ebpf-instance-ip", "10.9.9.9")};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatIps(r->config.ebpf.instanceIps), "10.9.9.9");
  EXPECT_EQ(r->config.effectiveBackend(), Backend::kEbpf);
}

// The instance IP leaves the config stage as addresses, one per family at most.
TEST(ConfigLoader, EbpfInstanceIpsOnePerFamily) {
  LoadRequest req;
  req.flags = {flag("--backend", "ebpf"), flag("--ebpf-instance-ip", " fd00::7 , 10.0.0.7")};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->config.ebpf.instanceIps.size(), 2u);
  EXPECT_EQ(r->config.ebpf.instanceIps[0].family, Family::kV6);
  EXPECT_EQ(r->config.ebpf.instanceIps[1], *IpAddress::parse("10.0.0.7"));

  req.flags = {flag("--backend", "ebpf"), flag("--ebpf-instance-ip", "10.0.0.7,10.0.0.8")};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "flag --ebpf-instance-ip: value '10.0.0.7,10.0.0.8' has more than one IPv4 address; "
            "give at most one per family");

  req.flags = {flag("--backend", "ebpf")};
  req.environment = {{"INSTANCE_IP", ","}};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0], "environment INSTANCE_IP: value ',' is not an IP address");
}

TEST(ConfigLoader, EbpfAndAnotherExplicitBackendConflict) {
  LoadRequest req;
  req.flags = {flag("--ebpf-enabled"), flag("--ebpf-instance-ip", "10.0.0.1"),
               flag("--backend", "iptables-nft")};
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "ebpf.enabled (flag --ebpf-enabled) selects the eBPF backend, but backend is "
            "iptables-nft (flag --backend); choose one");
}

TEST(ConfigLoader, StdinForBothInputsIsAProblem) {
  LoadRequest req;
  req.configFile = "-";
  req.podManifest = "-";
  req.readStdin = [](size_t) -> Result<std::string> { return std::string(); };
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{"flags --config-file and --pod-manifest: only one of them "
                                      "can read stdin ('-')"}));
}

TEST(ConfigLoader, ManifestFromStdinAndUnreadableAnnotationsFile) {
  LoadRequest req;
  req.podManifest = "-";
  req.readStdin = [](size_t) -> Result<std::string> {
    return std::string("kind: Pod\nmetadata:\n  annotations:\n    kuma.io/gateway: enabled\n");
  };
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->config.inbound.enabled);
  EXPECT_EQ(r->provenance.at("redirect.inbound.enabled").describe(),
            "annotation kuma.io/gateway (<stdin>:4)");

  req.annotationsFile = "/nonexistent/kt-annotations";
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error()),
            (std::vector<std::string>{"flag --annotations-file: cannot open "
                                      "/nonexistent/kt-annotations: No such file or directory"}));
}

TEST(ConfigLoader, WarningsForDeprecationsAndUnknownVariables) {
  LoadRequest req;
  req.flags = {flag("--kuma-dp-uid", "1000")};
  req.environment = {{"KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PRT", "1"}, {"HOME", "/root"}};
  auto r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.kumaDpUser.str(), "1000");
  EXPECT_EQ(r->warnings,
            (std::vector<std::string>{
                "environment KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PRT: unknown variable, "
                "ignored",
                "flag --kuma-dp-uid is deprecated; use --kuma-dp-user"}));
}

TEST(ConfigLoader, EnvironmentCoversFileKeys) {
  LoadRequest req;
  req.environment = {
      {"KUMA_TRANSPARENT_PROXY_KUMA_DP_USER", "kuma-dp"},
      {"KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS", "1,2"},
      {"KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS_FOR_UIDS", "tcp:80:1;udp:53:2"},
      {"KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_PORT_IPV6", "0"},
      {"KUMA_TRANSPARENT_PROXY_RETRY_SLEEP_BETWEEN_RETRIES", "1m30s"},
      {"KUMA_TRANSPARENT_PROXY_RETRY_MAX_RETRIES", "9"},
      {"KUMA_TRANSPARENT_PROXY_WAIT", "7"},
      {"KUMA_TRANSPARENT_PROXY_COMMENTS_DISABLED", "true"},
      {"KUMA_TRANSPARENT_PROXY_BACKEND", "iptables-legacy"},
  };
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Config& c = r->config;
  EXPECT_EQ(c.kumaDpUser.str(), "kuma-dp");
  EXPECT_EQ(c.outbound.excludePorts, (std::vector<PortRange>{{1, 2}}));
  EXPECT_EQ(c.outbound.excludePortsForUids.size(), 2u);
  EXPECT_EQ(c.inbound.portV6, 0);
  EXPECT_EQ(c.retry.sleepBetweenRetries, std::chrono::milliseconds(90000));
  EXPECT_EQ(c.retry.maxRetries, 9u);
  EXPECT_EQ(c.waitSeconds, 7u);
  EXPECT_FALSE(c.comments);
  EXPECT_EQ(c.backend, Backend::kIptablesLegacy);
}

TEST(ConfigLoader, EveryInstallFlag) {
  LoadRequest req;
  req.flags = {
      flag("--kuma-dp-user", "1234"),
      flag("--ip-family-mode", "ipv4"),
      flag("--redirect-inbound", "false"),
      flag("--redirect-inbound-port", "16006"),
      flag("--redirect-inbound-port-v6", "16010"),
      flag("--exclude-inbound-ports", "1,2"),
      flag("--exclude-inbound-ips", "10.0.0.0/8"),
      flag("--redirect-outbound-port", "16001"),
      flag("--exclude-outbound-ports", "3"),
      flag("--exclude-outbound-ips", "fd00::/8"),
      flag("--exclude-outbound-ports-for-uids", "udp:53:7"),
      flag("--redirect-all-dns-traffic"),
      flag("--redirect-dns-port", "16053"),
      flag("--skip-dns-conntrack-zone-split"),
      flag("--ebpf-enabled", "T"),
      flag("--ebpf-instance-ip", "10.1.1.1"),
      flag("--ebpf-bpffs-path", "/sys/fs/bpf"),
      flag("--ebpf-cgroup-path", "/sys/fs/cgroup/unified"),
      flag("--ebpf-programs-source-path", "/opt/ebpf"),
      flag("--ebpf-tc-attach-iface", "eth0"),
      flag("--drop-invalid-packets", "1"),
      flag("--iptables-logs", "TRUE"),
      flag("--disable-comments", "True"),
      flag("--wait", "9"),
      flag("--wait-interval", "100"),
      flag("--max-retries", "1"),
      flag("--sleep-between-retries", "250ms"),
      flag("--backend", "ebpf"),
      flag("--netns", "/var/run/netns/x"),
      flag("--verbose", "t"),
      flag("--dry-run"),
  };
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  Config c = r->config;
  EXPECT_EQ(c.kumaDpUser.str(), "1234");
  EXPECT_EQ(c.ipFamilyMode, IpFamilyMode::kIpv4);
  EXPECT_FALSE(c.inbound.enabled);
  EXPECT_EQ(c.inbound.port, 16006);
  EXPECT_EQ(c.inbound.portV6, 16010);
  EXPECT_EQ(c.inbound.excludePorts, (std::vector<PortRange>{{1, 2}}));
  EXPECT_EQ(c.inbound.excludeIps.size(), 1u);
  EXPECT_EQ(c.outbound.port, 16001);
  EXPECT_EQ(c.outbound.excludePorts, (std::vector<PortRange>{{3, 3}}));
  EXPECT_EQ(c.outbound.excludeIps.size(), 1u);
  EXPECT_EQ(c.outbound.excludePortsForUids.size(), 1u);
  EXPECT_TRUE(c.dns.enabled);
  EXPECT_TRUE(c.dns.captureAll);
  EXPECT_EQ(c.dns.port, 16053);
  EXPECT_FALSE(c.dns.conntrackZoneSplit);
  EXPECT_TRUE(c.ebpf.enabled);
  EXPECT_EQ(formatIps(c.ebpf.instanceIps), "10.1.1.1");
  EXPECT_EQ(c.ebpf.bpffsPath, "/sys/fs/bpf");
  EXPECT_EQ(c.ebpf.cgroupPath, "/sys/fs/cgroup/unified");
  EXPECT_EQ(c.ebpf.programsSourcePath, "/opt/ebpf");
  EXPECT_EQ(c.ebpf.tcAttachIface, "eth0");
  EXPECT_TRUE(c.dropInvalidPackets);
  EXPECT_TRUE(c.logs);
  EXPECT_FALSE(c.comments);
  EXPECT_EQ(c.waitSeconds, 9u);
  EXPECT_EQ(c.waitIntervalMicros, 100u);
  EXPECT_EQ(c.retry.maxRetries, 1u);
  EXPECT_EQ(c.retry.sleepBetweenRetries, std::chrono::milliseconds(250));
  EXPECT_EQ(c.backend, Backend::kEbpf);
  EXPECT_EQ(r->run.netnsPath, "/var/run/netns/x");
  EXPECT_TRUE(r->run.verbose);
  EXPECT_TRUE(r->run.dryRun);
  // Every flag-set setting is recorded, plus redirect.dns.enabled implied by
  // --redirect-all-dns-traffic.
  EXPECT_EQ(r->provenance.size(), 32u);

  req.flags = {flag("--no-such-flag", "1")};
  auto bad = load(req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(problemLines(bad.error())[0], "flag --no-such-flag: unknown flag");
}

TEST(ConfigLoader, ProvenanceTextIsOneLinePerNonDefaultSetting) {
  TempFile file("redirect:\n  outbound:\n    excludePorts: [5432, 6379]\n", ".yaml");
  LoadRequest req;
  req.configFile = file.path();
  req.annotations = {"kuma.io/gateway=enabled", "kuma.io/sidecar-uid=1000"};
  req.environment = {{"KUMA_TRANSPARENT_PROXY_RETRY_SLEEP_BETWEEN_RETRIES", "90s"}};
  req.flags = {flag("--redirect-inbound-port", "15007"),
               flag("--exclude-outbound-ips", "10.0.0.0/8")};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(describeProvenance(*r),
            "kumaDPUser = 1000 (annotation kuma.io/sidecar-uid (--annotation))\n"
            "redirect.inbound.enabled = false (annotation kuma.io/gateway (--annotation))\n"
            "redirect.inbound.port = 15007 (flag --redirect-inbound-port)\n"
            "redirect.outbound.excludePorts = 5432,6379 (config file " +
                file.path() +
                ":3 (redirect.outbound.excludePorts))\n"
                "redirect.outbound.excludePortsForIPs = 10.0.0.0/8 (flag --exclude-outbound-ips)\n"
                "retry.sleepBetweenRetries = 1m30s (environment "
                "KUMA_TRANSPARENT_PROXY_RETRY_SLEEP_BETWEEN_RETRIES)\n");
}

TEST(ConfigLoader, DisabledByAnnotationStillLoads) {
  LoadRequest req;
  req.annotations = {"kuma.io/transparent-proxying=disabled"};
  req.flags = {flag("--redirect-inbound-port", "nope")};
  auto r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->disabled);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0],
            "flag --redirect-inbound-port: value 'nope' is not a valid port (uint16 in the range "
            "[1, 65535]) (ignored: transparent proxying is disabled)");
}

TEST(ConfigLoader, CniModeFromRequestOrFile) {
  LoadRequest req;
  req.cniMode = true;
  auto r = load(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->run.cniMode);
  req.flags = {flag("--kuma-dp-user", "kuma-dp")};
  r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(problemLines(r.error())[0],
            "kumaDPUser (flag --kuma-dp-user): 'kuma-dp' is a user name, but CNI mode accepts only "
            "numeric uids");
}

}  // namespace
}  // namespace kt::config
