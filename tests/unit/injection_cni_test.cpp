// Injection through the CNI plugin's configuration path: the pod's annotations as the
// plugin reads them from the API server go through config::fromAnnotations in CNI mode. Every
// hostile value is either refused with a kConfig error naming the annotation (the plugin turns
// it into a CNI error, nothing is installed), or accepted as exactly the configuration of its
// clean equivalent, so the rules built from it are identical.
#include <gtest/gtest.h>

#include "config/facts.h"
#include "config/loader.h"
#include "injection_support.h"
#include "iptables/builder.h"
#include "iptables/render_iptables.h"
#include "iptables/render_nft.h"

namespace kt::config::testing {
namespace {

struct AnnotationTarget {
  std::string key;
  std::string good;
  std::string good2;
  // Names the kernel takes as they are (interface names, paths): any printable value may be
  // accepted, but then exactly as given; it reaches the eBPF backend as a name, never as text
  // that is parsed again.
  const std::string* (*literal)(const Config&) = nullptr;
};

const std::string* tcIface(const Config& c) {
  return &c.ebpf.tcAttachIface;
}
const std::string* bpffsPath(const Config& c) {
  return &c.ebpf.bpffsPath;
}

const std::vector<AnnotationTarget>& annotationTargets() {
  static const std::vector<AnnotationTarget> all = {
      {"traffic.kuma.io/exclude-outbound-ports", "8080", "9000-9100"},
      {"traffic.kuma.io/exclude-inbound-ports", "8080", "9000-9100"},
      {"traffic.kuma.io/exclude-outbound-ips", "10.0.0.0/8", "fd00::1"},
      {"traffic.kuma.io/exclude-inbound-ips", "10.0.0.0/8", "fd00::1"},
      {"traffic.kuma.io/exclude-outbound-ports-for-uids", "tcp:22:1000", ""},
      {"kuma.io/transparent-proxying-inbound-port", "15007", ""},
      {"kuma.io/transparent-proxying-outbound-port", "15002", ""},
      {"kuma.io/transparent-proxying-inbound-v6-port", "0", ""},
      {"kuma.io/sidecar-uid", "1000", ""},
      {"kuma.io/builtindnsport", "15054", ""},
      {"kuma.io/builtin-dns", "enabled", ""},
      {"kuma.io/gateway", "enabled", ""},
      {"kuma.io/transparent-proxying-ip-family-mode", "ipv4", ""},
      {"kuma.io/application-probe-proxy-port", "9001", ""},
      {"traffic.kuma.io/drop-invalid-packets", "true", ""},
      {"traffic.kuma.io/iptables-logs", "yes", ""},
      {"kuma.io/transparent-proxying-ebpf-tc-attach-iface", "eth0", "", tcIface},
      {"kuma.io/transparent-proxying-ebpf-bpf-fs-path", "/run/kuma/bpf", "", bpffsPath},
  };
  return all;
}

Result<Loaded> fromPod(const std::string& key, const std::string& value) {
  return fromAnnotations({{"kuma.io/sidecar-injected", "true"}, {key, value}}, "pod default/web",
                         true);
}

// Everything the rules are made of: the model and both renderings, with fixed facts.
std::string rendered(const Config& cfg) {
  Facts facts;
  facts.ipv6 = cfg.ipv6Requested();
  auto model = rules::build(cfg, facts);
  return rules::renderIptablesDryRun(model, rules::IptablesOptions{cfg.comments, false}) +
         "\n---\n" + rules::renderNft(model, rules::NftOptions{cfg.comments, true});
}

class InjectionCni : public ::testing::TestWithParam<size_t> {};

TEST_P(InjectionCni, HostileAnnotationValuesAreRefusedOrMeanTheCleanValue) {
  const AnnotationTarget& at = annotationTargets()[GetParam()];
  const Target t{"cni", "", at.key, "", "", at.good, at.good2};
  auto good = fromPod(at.key, at.good);
  ASSERT_TRUE(good.ok()) << at.key << ": " << good.error().message();

  size_t rejected = 0;
  for (const auto& h : hostileValues(t)) {
    auto r = fromPod(at.key, h.value);
    if (!r) {
      ++rejected;
      const Error& e = r.error();
      EXPECT_EQ(e.kind(), ErrorKind::kConfig) << h.label;
      const std::string msg = e.message();
      EXPECT_NE(msg.find("annotation " + at.key + " (pod default/web)"), std::string::npos)
          << h.label << ": " << msg;
      EXPECT_EQ(stderrDefects(msg), "") << h.label;
      EXPECT_LT(msg.size(), 16u * 1024) << h.label;
      continue;
    }
    if (at.literal) {
      EXPECT_EQ(*at.literal(r->config), h.value) << h.label << ": not taken literally";
      EXPECT_EQ(stderrDefects(h.value), "") << h.label << ": accepted with a control byte";
      continue;
    }
    if (!h.clean) {
      ADD_FAILURE() << at.key << ": hostile value " << quoteForMessage(h.value) << " (" << h.label
                    << ") was accepted";
      continue;
    }
    auto clean = fromPod(at.key, *h.clean);
    ASSERT_TRUE(clean.ok()) << clean.error().message();
    EXPECT_TRUE(r->config == clean->config) << h.label;
    EXPECT_EQ(rendered(r->config), rendered(clean->config)) << h.label;
    for (const auto& w : r->warnings)
      EXPECT_EQ(stderrDefects(w), "") << h.label;
  }
  EXPECT_GT(rejected, 0u);
}

std::string caseName(const ::testing::TestParamInfo<size_t>& param) {
  std::string name = annotationTargets()[param.param].key;
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Annotations, InjectionCni,
                         ::testing::Range<size_t>(0, annotationTargets().size()), caseName);

// Hostile keys in the pod's annotations: refused when they look like ours, ignored otherwise;
// never a control byte in a message or warning.
TEST(InjectionCni, HostileAnnotationKeys) {
  for (const std::string& key :
       {std::string("kuma.io/gateway\n-A OUTPUT -j ACCEPT"), std::string("kuma.io/x\x1b[2J"),
        std::string("kuma.io/") + std::string(1, '\0') + "gateway",
        std::string("example.com/$(reboot)"), std::string(100000, 'k')}) {
    auto r = fromPod(key, "enabled");
    if (!r) {
      EXPECT_EQ(r.error().kind(), ErrorKind::kConfig);
      EXPECT_EQ(stderrDefects(r.error().message()), "") << quoteForMessage(key);
      continue;
    }
    for (const auto& w : r->warnings)
      EXPECT_EQ(stderrDefects(w), "") << quoteForMessage(key);
    auto clean = fromAnnotations({{"kuma.io/sidecar-injected", "true"}}, "pod default/web", true);
    ASSERT_TRUE(clean.ok());
    EXPECT_TRUE(r->config == clean->config) << quoteForMessage(key);
  }
}

}  // namespace
}  // namespace kt::config::testing
