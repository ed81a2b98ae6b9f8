#include <gtest/gtest.h>

#include "config/values.h"

namespace kt::config {
namespace {

using std::chrono::milliseconds;

TEST(ConfigValues, FlagBooleansFollowGoParseBool) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    EXPECT_TRUE(*parseBool(t)) << t;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    EXPECT_FALSE(*parseBool(f)) << f;
  for (const char* bad : {"", "yes", "enabled", "tRuE", " true", "2"}) {
    auto r = parseBool(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kConfig);
  }
  EXPECT_EQ(parseBool("maybe").error().message(), "value 'maybe' is not a boolean (true or false)");
}

TEST(ConfigValues, AnnotationBooleansHaveTwoGrammars) {
  for (const char* t : {"enabled", "true", "yes"})
    EXPECT_TRUE(*parseEnabled(t)) << t;
  for (const char* f : {"disabled", "false", "no"})
    EXPECT_FALSE(*parseEnabled(f)) << f;
  EXPECT_EQ(parseEnabled("Enabled").error().message(),
            "wrong value 'Enabled': expected enabled, disabled, true, false, yes or no");
  EXPECT_FALSE(parseEnabled("1").ok());

  EXPECT_TRUE(*parseYesNo("true"));
  EXPECT_TRUE(*parseYesNo("yes"));
  EXPECT_FALSE(*parseYesNo("false"));
  EXPECT_FALSE(*parseYesNo("no"));
  EXPECT_EQ(parseYesNo("enabled").error().message(),
            "wrong value 'enabled': expected true, false, yes or no");
  EXPECT_FALSE(parseYesNo("disabled").ok());
}

TEST(ConfigValues, PortsUseKumasMessage) {
  EXPECT_EQ(*parsePortValue("1"), 1);
  EXPECT_EQ(*parsePortValue("65535"), 65535);
  EXPECT_EQ(parsePortValue("0").error().message(),
            "value '0' is not a valid port (uint16 in the range [1, 65535])");
  EXPECT_EQ(parsePortValue("65536").error().message(),
            "value '65536' is not a valid port (uint16 in the range [1, 65535])");
  EXPECT_EQ(*parsePortValue("0", true), 0);
  EXPECT_EQ(parsePortValue("-1", true).error().message(),
            "value '-1' is not a valid port (uint16 in the range [0, 65535])");
  for (const char* bad : {"", " 80", "80 ", "+80", "8o", "99999999999999999999"})
    EXPECT_FALSE(parsePortValue(bad).ok()) << bad;
}

TEST(ConfigValues, PortListsTrimSkipEmptyAndAcceptRanges) {
  auto r = parsePortList(" 80, 443 ,,8000-8080,");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (PortRange{80, 80}));
  EXPECT_EQ((*r)[1], (PortRange{443, 443}));
  EXPECT_EQ((*r)[2], (PortRange{8000, 8080}));
  EXPECT_TRUE(parsePortList("")->empty());
  EXPECT_TRUE(parsePortList(" , ")->empty());
}

TEST(ConfigValues, PortListReportsEveryBadItem) {
  auto r = parsePortList("80,x,0,9000-8000,70000");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "value 'x' is not a valid port (uint16 in the range [1, 65535]); "
            "value '0' is not a valid port (uint16 in the range [1, 65535]); "
            "value '9000-8000' is not a valid port range (first-last, each in [1, 65535], "
            "first <= last); "
            "value '70000' is not a valid port (uint16 in the range [1, 65535])");
}

TEST(ConfigValues, CidrListsBothFamilies) {
  auto r = parseCidrList("10.0.0.1, 172.16.0.0/16,fe80::1 , fe80::/10");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].str(), "10.0.0.1/32");
  EXPECT_EQ((*r)[1].str(), "172.16.0.0/16");
  EXPECT_EQ((*r)[2].str(), "fe80::1/128");
  EXPECT_EQ((*r)[3].str(), "fe80::/10");
  EXPECT_EQ(parseCidrList("10.0.0.300").error().message(),
            "invalid IP address: '10.0.0.300'. Expected format: <ip> or <ip>/<cidr> (e.g., "
            "10.0.0.1, 172.16.0.0/16, fe80::1, fe80::/10)");
  EXPECT_FALSE(parseCidrList("10.0.0.0/33").ok());
  EXPECT_FALSE(parseCidrList("fe80::/129").ok());
  EXPECT_FALSE(parseCidrList("host.example").ok());
}

TEST(ConfigValues, UidExclusionGrammar) {
  auto onlyUids = parseUidExclusion("1000");
  ASSERT_TRUE(onlyUids.ok());
  EXPECT_EQ(onlyUids->protocols, (std::vector<Protocol>{Protocol::kTcp, Protocol::kUdp}));
  EXPECT_TRUE(onlyUids->ports.empty());
  EXPECT_EQ(onlyUids->uids, (UidRange{1000, 1000}));

  auto portsUids = parseUidExclusion("80,443,8000-8005:1000-1005");
  ASSERT_TRUE(portsUids.ok()) << portsUids.error().message();
  EXPECT_EQ(portsUids->protocols.size(), 2u);
  EXPECT_EQ(portsUids->ports, (std::vector<PortRange>{{80, 80}, {443, 443}, {8000, 8005}}));
  EXPECT_EQ(portsUids->uids, (UidRange{1000, 1005}));

  auto all = parseUidExclusion("udp:*:5678");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->protocols, (std::vector<Protocol>{Protocol::kUdp}));
  EXPECT_TRUE(all->ports.empty());

  auto both = parseUidExclusion("tcp,udp:22:0");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->protocols.size(), 2u);
  EXPECT_EQ(both->uids, (UidRange{0, 0}));

  auto star = parseUidExclusion("*::7");
  ASSERT_TRUE(star.ok());
  EXPECT_EQ(star->protocols.size(), 2u);
  EXPECT_TRUE(star->ports.empty());
}

TEST(ConfigValues, UidExclusionKumaErrors) {
  EXPECT_EQ(parseUidExclusion("1,2,3").error().message(),
            "invalid UID entry: '1,2,3'. It should either be a single item or a range");
  EXPECT_EQ(parseUidExclusion("80:*").error().message(), "wildcard '*' is not allowed for UIDs");
  EXPECT_EQ(parseUidExclusion("http:80:1").error().message(),
            "invalid or unsupported protocol: 'http'");
  EXPECT_EQ(parseUidExclusion("tcp:a3000-5000:1").error().message(),
            "invalid port range: validation failed for value or range 'a3000-5000': invalid "
            "uint16 value: 'a3000'");
  EXPECT_EQ(parseUidExclusion("tcp:3000-70000:1").error().message(),
            "invalid port range: validation failed for value or range '3000-70000': invalid "
            "uint16 value: '70000'");
  EXPECT_EQ(parseUidExclusion("tcp:5000-3000:1").error().message(),
            "invalid port range: validation failed for value or range '5000-3000': the first "
            "port is greater than the last");
  EXPECT_EQ(parseUidExclusion("tcp:0:1").error().message(),
            "invalid port range: validation failed for value or range '0': port 0 is not allowed");
  EXPECT_EQ(parseUidExclusion("a:b:c:d").error().message(),
            "invalid entry 'a:b:c:d': expected [protocol:][ports:]uids");
  EXPECT_EQ(parseUidExclusion("80:abc").error().message(),
            "invalid UID entry: 'abc'. It should be a uid or a range first-last of uids");
  EXPECT_FALSE(parseUidExclusion("").ok());
  EXPECT_FALSE(parseUidExclusion("10-5").ok());
}

TEST(ConfigValues, GoDurations) {
  EXPECT_EQ(*parseGoDuration("2s"), milliseconds(2000));
  EXPECT_EQ(*parseGoDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*parseGoDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(*parseGoDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*parseGoDuration("0"), milliseconds(0));
  EXPECT_EQ(*parseGoDuration("0s"), milliseconds(0));
  EXPECT_EQ(*parseGoDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(*parseGoDuration("+3s"), milliseconds(3000));
  EXPECT_EQ(*parseGoDuration("2500us"), milliseconds(2));
  EXPECT_EQ(*parseGoDuration("2500\xc2\xb5s"), milliseconds(2));
  EXPECT_EQ(*parseGoDuration("3000000ns"), milliseconds(3));
  EXPECT_EQ(*parseGoDuration(".5s"), milliseconds(500));
  for (const char* bad : {"", "2", "s", "2x", "1m30", "2 s", "--1s", ".s", "1..5s"}) {
    auto r = parseGoDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(parseGoDuration("2x").error().message(),
            "value '2x' is not a valid duration (Go syntax such as 2s, 500ms or 1m30s)");
  EXPECT_EQ(parseGoDuration("-1s").error().message(),
            "value '-1s' is negative; a duration >= 0 is needed");
  EXPECT_EQ(parseGoDuration("61m").error().message(),
            "value '61m' is too long: at most 1h0m0s is accepted");
  EXPECT_FALSE(parseGoDuration("99999999999999999999h").ok());
}

TEST(ConfigValues, GoDurationFormatRoundTrips) {
  EXPECT_EQ(formatGoDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatGoDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(formatGoDuration(milliseconds(2000)), "2s");
  EXPECT_EQ(formatGoDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(formatGoDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(formatGoDuration(milliseconds(3600000)), "1h0m0s");
  for (int64_t ms : {0, 1, 999, 1000, 1001, 59999, 60000, 3599999, 3600000}) {
    EXPECT_EQ(*parseGoDuration(formatGoDuration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

TEST(ConfigValues, Numbers) {
  EXPECT_EQ(*parseUint("0", 7), 0u);
  EXPECT_EQ(*parseUint("7", 7), 7u);
  EXPECT_EQ(parseUint("8", 7).error().message(),
            "value '8' is not a valid number (an integer in [0, 7])");
  EXPECT_FALSE(parseUint("-1", 7).ok());
  EXPECT_FALSE(parseUint("", 7).ok());
  EXPECT_FALSE(parseUint("4294967296", 4294967295u).ok());
}

TEST(ConfigValues, FamilyModeIsCaseSensitive) {
  EXPECT_EQ(*parseIpFamilyMode("dualstack"), IpFamilyMode::kDualStack);
  EXPECT_EQ(*parseIpFamilyMode("ipv4"), IpFamilyMode::kIpv4);
  EXPECT_EQ(parseIpFamilyMode("IPv4").error().message(),
            "value 'IPv4' is invalid: must be one of 'dualstack' or 'ipv4'");
  EXPECT_FALSE(parseIpFamilyMode("ipv6").ok());
}

TEST(ConfigValues, Backends) {
  EXPECT_EQ(*parseBackend("auto"), Backend::kAuto);
  EXPECT_EQ(*parseBackend("iptables"), Backend::kIptables);
  EXPECT_EQ(*parseBackend("iptables-legacy"), Backend::kIptablesLegacy);
  EXPECT_EQ(*parseBackend("iptables-nft"), Backend::kIptablesNft);
  EXPECT_EQ(*parseBackend("nftables"), Backend::kNftables);
  EXPECT_EQ(*parseBackend("ebpf"), Backend::kEbpf);
  EXPECT_EQ(parseBackend("nft").error().message(),
            "value 'nft' is not a backend: must be one of auto, iptables, iptables-legacy, "
            "iptables-nft, nftables, ebpf");
}

TEST(ConfigValues, UsersPathsInterfacesNamesAddresses) {
  EXPECT_EQ(*parseUser(""), SidecarUser{});
  EXPECT_EQ(*parseUser("5678"), SidecarUser::ofUid(5678));
  EXPECT_EQ(*parseUser("4294967294"), SidecarUser::ofUid(4294967294u));
  EXPECT_EQ(*parseUser("0"), SidecarUser::ofUid(0));
  EXPECT_EQ(*parseUser("kuma-dp"), SidecarUser::named("kuma-dp"));
  EXPECT_EQ(*parseUser("_svc.1$"), SidecarUser::named("_svc.1$"));
  EXPECT_EQ(parseUser("4294967295").error().message(),
            "value '4294967295' is not a uid (0-4294967294) or a user name");
  for (const char* bad : {"-x", "a b", "a/b", "1abc", "x$y", "abcdefghijklmnopqrstuvwxyz1234567"})
    EXPECT_FALSE(parseUser(bad).ok()) << bad;

  EXPECT_EQ(*parsePath("/run/kuma/bpf", true), "/run/kuma/bpf");
  EXPECT_EQ(parsePath("run/kuma", true).error().message(),
            "value 'run/kuma' is not an absolute path");
  EXPECT_EQ(parsePath("", false).error().message(), "the path is empty");
  EXPECT_FALSE(parsePath("/a\nb", false).ok());
  EXPECT_EQ(*parseOptionalPath(""), "");

  EXPECT_EQ(*parseInterfaceName("eth0"), "eth0");
  EXPECT_EQ(*parseInterfaceName(""), "");
  EXPECT_EQ(*parseInterfaceName("abcdefghijklmno"), "abcdefghijklmno");
  for (const char* bad : {"abcdefghijklmnop", "a/b", "a:b", "a b", ".", ".."})
    EXPECT_FALSE(parseInterfaceName(bad).ok()) << bad;

  EXPECT_EQ(*parseEnvVarName("INSTANCE_IP"), "INSTANCE_IP");
  EXPECT_EQ(*parseEnvVarName("_x1"), "_x1");
  EXPECT_FALSE(parseEnvVarName("1X").ok());
  EXPECT_FALSE(parseEnvVarName("A-B").ok());
  EXPECT_FALSE(parseEnvVarName("").ok());

  EXPECT_TRUE(parseInstanceIps("")->empty());
  EXPECT_EQ(formatIps(*parseInstanceIps("10.1.2.3")), "10.1.2.3");
  EXPECT_EQ(formatIps(*parseInstanceIps("fd00:0::1")), "fd00::1");
  EXPECT_EQ(formatIps(*parseInstanceIps("fd00::1, 10.1.2.3")), "fd00::1,10.1.2.3");
  EXPECT_EQ(parseInstanceIps("10.1.2").error().message(), "value '10.1.2' is not an IP address");
  EXPECT_EQ(parseInstanceIps("10.1.2.3,x").error().message(), "value 'x' is not an IP address");
  EXPECT_EQ(parseInstanceIps(" ").error().message(), "value ' ' is not an IP address");
  EXPECT_EQ(parseInstanceIps("fd00::1,fd00::2").error().message(),
            "value 'fd00::1,fd00::2' has more than one IPv6 address; give at most one per family");
}

TEST(ConfigValues, HostileValuesCannotForgeLines) {
  auto r = parsePortValue("80\nE 00:00:00 fake line");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
  EXPECT_NE(r.error().message().find("\\x0a"), std::string::npos);
}

TEST(ConfigValues, Formatting) {
  EXPECT_EQ(formatPorts({{80, 80}, {8000, 9000}}), "80,8000-9000");
  EXPECT_EQ(formatCidrs({*Cidr::parse("10.0.0.0/8"), *Cidr::parse("fe80::/10")}),
            "10.0.0.0/8,fe80::/10");
  UidPortExclusion e{{Protocol::kTcp, Protocol::kUdp}, {}, {5678, 5678}};
  EXPECT_EQ(formatUidExclusion(e), "tcp,udp:*:5678");
  EXPECT_EQ(*parseUidExclusion(formatUidExclusion(e)), e);
  UidPortExclusion f{{Protocol::kUdp}, {{53, 53}, {8000, 8010}}, {1000, 1005}};
  EXPECT_EQ(formatUidExclusion(f), "udp:53,8000-8010:1000-1005");
  EXPECT_EQ(*parseUidExclusion(formatUidExclusion(f)), f);
}

}  // namespace
}  // namespace kt::config
