// Bounded cost of the config stage: huge lists, huge values, many annotations, deep
// nesting and big files are refused with a message that names the limit and stays readable, on
// every input path; large port sets written as ranges stay cheap. No timing is asserted: the
// outcome (refused with which message / accepted with what size) is.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/strings.h"
#include "config/annotations.h"
#include "config/config_file.h"
#include "config/loader.h"
#include "config/values.h"
#include "config_test_support.h"

namespace kt::config {
namespace {

using testing::problemLines;
using testing::TempFile;

// A readable refusal: kConfig, the message names the limit, and neither the whole message nor
// any one problem line grows with the size of the input.
void expectRefused(const Result<Loaded>& r, const std::string& needle, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << ": accepted";
  EXPECT_EQ(r.error().kind(), ErrorKind::kConfig) << what;
  const std::string msg = r.error().message();
  EXPECT_NE(msg.find(needle), std::string::npos) << what << ": " << msg.substr(0, 2000);
  EXPECT_LT(msg.size(), 256u * 1024) << what;
  for (const auto& line : problemLines(r.error()))
    EXPECT_LT(line.size(), 4096u) << what << ": " << line.substr(0, 300);
}

// n comma-separated ports, cycling through 1..65535 (so every item is a valid port).
std::string manyPorts(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += std::to_string(i % 65535 + 1);
  }
  return s;
}

// n distinct IPv4 host addresses in 10.0.0.0/8.
std::vector<std::string> manyAddresses(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back("10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) +
                  "." + std::to_string(i % 256));
  return out;
}

// `redirect.outbound.<key>` as a YAML flow sequence: every item is its own value (and problem).
std::string yamlSequence(const std::string& key, const std::vector<std::string>& items) {
  return "redirect:\n  outbound:\n    " + key + ": [" + join(items, ",") + "]\n";
}

std::vector<std::string> splitItems(const std::string& list) {
  std::vector<std::string> out;
  for (auto item : split(list, ','))
    out.emplace_back(item);
  return out;
}

TEST(LimitsConfig, HundredThousandExcludedPortsAreRefusedOnEveryPath) {
  const std::string list = manyPorts(100000);
  ASSERT_GT(list.size(), kMaxValueBytes);
  const std::string bytesLimit = "at most " + std::to_string(kMaxValueBytes) + " bytes";
  const std::string entriesLimit = "100000 entries given; at most 65536 are accepted";

  {
    LoadRequest req;
    req.flags = {{"--exclude-outbound-ports", list}};
    expectRefused(load(req), "flag --exclude-outbound-ports: the value is", "one flag value");
    expectRefused(load(req), bytesLimit, "one flag value");
  }
  {
    LoadRequest req;
    for (const auto& p : splitItems(list))
      req.flags.push_back({"--exclude-outbound-ports", p});
    expectRefused(load(req), "flag --exclude-outbound-ports: " + entriesLimit, "repeated flags");
  }
  {
    LoadRequest req;
    req.annotations = {"traffic.kuma.io/exclude-outbound-ports=" + list};
    expectRefused(load(req), bytesLimit, "--annotation");
  }
  {
    TempFile f("traffic.kuma.io/exclude-outbound-ports=\"" + list + "\"\n");
    LoadRequest req;
    req.annotationsFile = f.path();
    expectRefused(load(req), bytesLimit, "annotations file");
  }
  {
    TempFile f(
        R"({"kind":"Pod","metadata":{"annotations":{"traffic.kuma.io/exclude-outbound-ports":")" +
        list + "\"}}}");
    LoadRequest req;
    req.podManifest = f.path();
    expectRefused(load(req), bytesLimit, "pod manifest");
  }
  {
    TempFile f("redirect:\n  outbound:\n    excludePorts: \"" + list + "\"\n");
    LoadRequest req;
    req.configFile = f.path();
    expectRefused(load(req), bytesLimit, "config file string");
  }
  {
    TempFile f(yamlSequence("excludePorts", splitItems(list)));
    LoadRequest req;
    req.configFile = f.path();
    expectRefused(load(req), entriesLimit, "config file sequence");
  }
  {
    LoadRequest req;
    req.environment["KUMA_TRANSPARENT_PROXY_REDIRECT_OUTBOUND_EXCLUDE_PORTS"] = list;
    expectRefused(load(req), bytesLimit, "environment");
  }
  {
    std::map<std::string, std::string> a = {{"traffic.kuma.io/exclude-outbound-ports", list}};
    expectRefused(fromAnnotations(a, "pod default/web", true), bytesLimit, "CNI annotations");
  }
}

TEST(LimitsConfig, FiftyThousandExcludedCidrsAreRefusedOnEveryPath) {
  const auto addrs = manyAddresses(50000);
  const std::string list = join(addrs, ",");
  ASSERT_GT(list.size(), kMaxValueBytes);
  const std::string bytesLimit = "at most " + std::to_string(kMaxValueBytes) + " bytes";
  const std::string entriesLimit = "50000 entries given; at most 10000 are accepted";
  {
    LoadRequest req;
    for (const auto& a : addrs)
      req.flags.push_back({"--exclude-outbound-ips", a});
    expectRefused(load(req), entriesLimit, "repeated flags");
  }
  {
    TempFile f(yamlSequence("excludePortsForIPs", addrs));
    LoadRequest req;
    req.configFile = f.path();
    expectRefused(load(req), entriesLimit, "config file sequence");
  }
  {
    LoadRequest req;
    req.flags = {{"--exclude-inbound-ips", list}};
    expectRefused(load(req), bytesLimit, "one flag value");
  }
  {
    LoadRequest req;
    req.annotations = {"traffic.kuma.io/exclude-inbound-ips=" + list};
    expectRefused(load(req), bytesLimit, "--annotation");
  }
  {
    LoadRequest req;
    req.environment["KUMA_TRANSPARENT_PROXY_REDIRECT_INBOUND_EXCLUDE_PORTS_FOR_IPS"] = list;
    expectRefused(load(req), bytesLimit, "environment");
  }
}

TEST(LimitsConfig, ListsAtTheirCapsAreAccepted) {
  // 65536 outbound entries: every even port (none adjacent: nothing merges yet), every odd port
  // but 15001 (the outbound redirect port, which cannot be excluded) and 65535, then 2 four
  // more times; merged, they are two ranges.
  std::vector<std::string> ports, even;
  for (int p = 2; p <= 65534; p += 2)
    ports.push_back(std::to_string(p));
  for (int p = 3; p <= 65533; p += 2)
    if (p != 15001) ports.push_back(std::to_string(p));
  for (int i = 0; i < 4; ++i)
    ports.push_back("2");
  ASSERT_EQ(ports.size(), kMaxPortEntries);
  auto addrs = manyAddresses(kMaxCidrEntries);
  TempFile f(yamlSequence("excludePorts", ports) + "    excludePortsForIPs: [" + join(addrs, ",") +
             "]\n");
  LoadRequest req;
  req.configFile = f.path();
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatPorts(r->config.outbound.excludePorts), "2-15000,15002-65534");
  EXPECT_EQ(r->config.outbound.excludeIps.size(), kMaxCidrEntries);

  // The even ports but the inbound redirect ports, as one flag value: nothing merges, every
  // entry is kept.
  for (int p = 2; p <= 65534; p += 2)
    if (p != 15006 && p != 15010) even.push_back(std::to_string(p));
  LoadRequest flags;
  flags.flags = {{"--exclude-inbound-ports", join(even, ",")}};
  r = load(flags);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.inbound.excludePorts.size(), even.size());

  // One more is refused.
  ports.push_back("2000");
  TempFile g(yamlSequence("excludePorts", ports));
  req.configFile = g.path();
  expectRefused(load(req), "65537 entries given; at most 65536 are accepted", "65537 ports");
  addrs.push_back("192.168.0.1");
  TempFile h(yamlSequence("excludePortsForIPs", addrs));
  req.configFile = h.path();
  expectRefused(load(req), "10001 entries given; at most 10000 are accepted", "10001 addresses");
}

TEST(LimitsConfig, PortRangesMakeLargePortSetsCheap) {
  // Every port but the redirect port excluded, in two entries instead of 65534.
  LoadRequest req;
  req.flags = {{"--exclude-outbound-ports", "1-15000,15002-65535"}};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatPorts(r->config.outbound.excludePorts), "1-15000,15002-65535");

  // Overlapping and adjacent ranges collapse to the fewest ranges.
  req.flags = {{"--exclude-inbound-ports", "1-100,50-200,201-300,1000,999,1001"}};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatPorts(r->config.inbound.excludePorts), "1-300,999-1001");

  // A list that repeats ports counts entries as given (the cap bounds parsing work), but
  // collapses when applied.
  std::vector<std::string> repeated(kMaxPortEntries, "443");
  req.flags = {{"--exclude-outbound-ports", join(repeated, ",")}};
  r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(formatPorts(r->config.outbound.excludePorts), "443");
}

TEST(LimitsConfig, UidExclusionsAreCappedInCountAndInPorts) {
  LoadRequest req;
  for (int i = 0; i < 65; ++i)
    req.flags.push_back({"--exclude-outbound-ports-for-uids", "tcp:80:" + std::to_string(i)});
  expectRefused(load(req), "65 entries given; at most 64 are accepted", "65 entries");

  // The ports of one entry have their own, smaller cap (they become rules of their own).
  std::vector<std::string> ports;
  for (int p = 2; p <= 2 * 513; p += 2)
    ports.push_back(std::to_string(p));
  req.flags = {{"--exclude-outbound-ports-for-uids", "tcp:" + join(ports, ",") + ":1000"}};
  expectRefused(load(req), "513 port entries; at most 512 are accepted", "513 ports in an entry");

  ports.pop_back();
  req.flags = {{"--exclude-outbound-ports-for-uids", "tcp:" + join(ports, ",") + ":1000"}};
  auto r = load(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->config.outbound.excludePortsForUids.size(), 1u);
  EXPECT_EQ(r->config.outbound.excludePortsForUids[0].ports.size(), kMaxUidPortEntries);

  // Annotation entries are split on ';' before the caps apply, so a long annotation is
  // refused by the entry cap, not accepted wholesale.
  std::string many;
  for (int i = 0; i < 100; ++i)
    many += "udp:53:" + std::to_string(i) + ";";
  LoadRequest ann;
  ann.annotations = {"traffic.kuma.io/exclude-outbound-ports-for-uids=" + many};
  expectRefused(load(ann), "100 entries given; at most 64 are accepted", "annotation");
}

TEST(LimitsConfig, ManyBadItemsGiveAShortMessage) {
  // A value's worth of bad items: the message names a few and counts the rest.
  std::string bad;
  while (bad.size() + 2 <= kMaxValueBytes)
    bad += bad.empty() ? "x" : ",x";
  LoadRequest req;
  req.flags = {{"--exclude-outbound-ports", bad}};
  expectRefused(load(req), "more invalid items", "bad port items");
  req.flags = {{"--exclude-outbound-ips", bad}};
  expectRefused(load(req), "more invalid items", "bad address items");

  // 200 values of 4 KiB bad items in a config-file sequence: at most 100 problem lines are
  // kept, each short.
  std::vector<std::string> items(200, "\"" + bad.substr(0, 4095) + "\"");
  TempFile f(yamlSequence("excludePorts", items));
  req = LoadRequest{};
  req.configFile = f.path();
  expectRefused(load(req), "... and 100 more", "200 bad values");
}

TEST(LimitsConfig, ManyAnnotationsAreRefused) {
  std::string file, manifest = R"({"kind":"Pod","metadata":{"annotations":{)";
  for (size_t i = 0; i <= kMaxAnnotations; ++i) {
    file += "example.com/a" + std::to_string(i) + "=\"x\"\n";
    manifest += (i ? "," : "") + std::string("\"example.com/a") + std::to_string(i) + "\":\"x\"";
  }
  manifest += "}}}";
  const std::string needle = "more than 4096 annotations";
  TempFile a(file), m(manifest);
  LoadRequest req;
  req.annotationsFile = a.path();
  expectRefused(load(req), needle, "annotations file");
  req = LoadRequest{};
  req.podManifest = m.path();
  expectRefused(load(req), needle, "pod manifest");
}

TEST(LimitsConfig, OversizedFilesAreRefused) {
  const std::string big(kMaxConfigFileBytes + 1, '#');
  TempFile f(big);
  LoadRequest req;
  req.configFile = f.path();
  expectRefused(load(req), "larger than 1048576 bytes", "config file");
  req = LoadRequest{};
  req.annotationsFile = f.path();
  expectRefused(load(req), "larger than 1048576 bytes", "annotations file");

  const std::string huge(kMaxManifestBytes + 1, ' ');
  TempFile m(huge);
  req = LoadRequest{};
  req.podManifest = m.path();
  expectRefused(load(req), "larger than 4194304 bytes", "pod manifest");

  // Stdin has the same limits.
  req = LoadRequest{};
  req.configFile = "-";
  req.readStdin = [&](size_t max) -> Result<std::string> {
    std::string data(max + 1, '#');
    if (data.size() > max) return Error::config("stdin is larger than " + std::to_string(max));
    return data;
  };
  expectRefused(load(req), "larger than 1048576", "config file on stdin");
}

TEST(LimitsConfig, DeepNestingIsRefusedNotACrash) {
  // yaml-cpp refuses documents nested deeper than its guard instead of recursing until the
  // stack overflows; both YAML and JSON inputs go through it.
  const std::string seqs(100000, '[');
  std::string maps;
  for (int i = 0; i < 50000; ++i)
    maps += "{\"a\":";
  TempFile c(seqs), m(maps);
  LoadRequest req;
  req.configFile = c.path();
  expectRefused(load(req), "not valid YAML or JSON", "config file");
  req = LoadRequest{};
  req.podManifest = m.path();
  expectRefused(load(req), "not valid JSON or YAML", "pod manifest");
}

TEST(LimitsConfig, AliasesDoNotMultiplyWork) {
  // A "billion laughs" document: yaml-cpp shares aliased nodes, and the config stage walks the
  // tree only along the keys it knows, so this is one small refusal.
  std::string doc = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c, ++prev) {
    doc += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i)
      doc += std::string(i ? ", " : "") + "*" + prev;
    doc += "]\n";
  }
  doc += "redirect:\n  outbound:\n    excludePorts: *k\n";
  TempFile f(doc);
  LoadRequest req;
  req.configFile = f.path();
  auto r = load(req);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.error().message().size(), 256u * 1024);
}

}  // namespace
}  // namespace kt::config
