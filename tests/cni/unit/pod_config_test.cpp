#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cni/net_conf.h"
#include "cni/pod_config.h"

namespace kt::cni {
namespace {

Pod pod(std::map<std::string, std::string> annotations) {
  Pod p;
  p.ns = "shop";
  p.name = "web-0";
  p.annotations = std::move(annotations);
  p.annotations["kuma.io/sidecar-injected"] = "true";
  p.containers = {"app", "kuma-sidecar"};
  return p;
}

TEST(PodConfig, AnnotationsInCniMode) {
  auto l = configFromPod(pod({{"traffic.kuma.io/exclude-outbound-ports", "1234,5678"},
                              {"kuma.io/sidecar-uid", "5678"}}),
                         AdminPolicy{});
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_TRUE(l->run.cniMode);
  EXPECT_FALSE(l->disabled);
  ASSERT_EQ(l->config.outbound.excludePorts.size(), 2u);
  EXPECT_EQ(l->config.outbound.excludePorts[0].first, 1234);
}

TEST(PodConfig, BadAnnotationNamesThePod) {
  auto l = configFromPod(pod({{"traffic.kuma.io/exclude-outbound-ports", "99999"}}), AdminPolicy{});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind(), ErrorKind::kConfig);
  EXPECT_NE(l.error().message().find("shop/web-0"), std::string::npos) << l.error().message();
}

TEST(PodConfig, DisabledPod) {
  auto l = configFromPod(pod({{"kuma.io/transparent-proxying", "disabled"}}), AdminPolicy{});
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_TRUE(l->disabled);
}

TEST(PodConfig, ConfigMapModeAnnotationIsHonoured) {
  // The injector's YAML sets the outbound port; an explicit annotation still wins for
  // exclusions, as in Kuma's ConfigMap precedence.
  auto l = configFromPod(pod({{"traffic.kuma.io/transparent-proxy-config",
                               "redirect:\n  outbound:\n    port: 15002\n"
                               "    excludePorts: [1111]\n"},
                              {"traffic.kuma.io/exclude-outbound-ports", "2222"}}),
                         AdminPolicy{});
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->config.outbound.port, 15002);
  ASSERT_EQ(l->config.outbound.excludePorts.size(), 1u);
  EXPECT_EQ(l->config.outbound.excludePorts[0].first, 2222);
}

TEST(PodConfig, BrokenConfigMapModeAnnotationIsAnError) {
  auto l = configFromPod(pod({{"traffic.kuma.io/transparent-proxy-config", "redirect: [\n"}}),
                         AdminPolicy{});
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message().find("transparent-proxy-config"), std::string::npos)
      << l.error().message();
}

// The administrator's policy as the network configuration carries it.
AdminPolicy policy(const std::string& keys) {
  auto doc = decodeJson(R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni")" +
                        (keys.empty() ? "" : "," + keys) + "}");
  EXPECT_TRUE(doc.ok());
  auto conf = parseNetConf(*doc);
  EXPECT_TRUE(conf.ok()) << conf.error().message();
  return conf.ok() ? conf->admin : AdminPolicy{};
}

using ::testing::HasSubstr;

// A pod may not choose where root loads BPF programs from, nor a node path root mounts or opens:
// each such annotation is refused, naming it and the administrator setting that would allow it.
TEST(PodPolicy, NodeLevelAnnotationsAreRefusedNamingTheAllowList) {
  struct Case {
    const char* annotation;
    const char* value;
    const char* key;
  } cases[] = {
      {"kuma.io/transparent-proxying-ebpf-programs-source-path", "/var/lib/kubelet/pods/x",
       "ebpf.programsSourcePath"},
      {"kuma.io/transparent-proxying-ebpf-bpf-fs-path", "/tmp/evil-bpffs", "ebpf.bpffsPath"},
      {"kuma.io/transparent-proxying-ebpf-cgroup-path", "/sys/fs/cgroup/kubepods",
       "ebpf.cgroupPath"},
      {"kuma.io/transparent-proxying-ebpf-instance-ip-env-var-name", "HOME",
       "ebpf.instanceIPEnvVarName"},
  };
  for (const auto& c : cases) {
    auto l = configFromPod(
        pod({{"kuma.io/transparent-proxying-ebpf", "enabled"}, {c.annotation, c.value}}),
        AdminPolicy{});
    ASSERT_FALSE(l.ok()) << c.annotation;
    EXPECT_EQ(l.error().kind(), ErrorKind::kConfig);
    const std::string m = l.error().message();
    EXPECT_THAT(m, HasSubstr(std::string("annotation ") + c.annotation)) << m;
    EXPECT_THAT(m, HasSubstr(std::string("node-level setting ") + c.key)) << m;
    EXPECT_THAT(m, HasSubstr(std::string("adding \"") + c.key + "\" to allow_pod_settings")) << m;
  }
}

TEST(PodPolicy, TheConfigAnnotationMayNotSetNodeLevelKeys) {
  for (const char* yaml :
       {"redirect:\n  dns:\n    resolvConfigPath: /dev/kmsg\n", "wait: 600\n",
        "retry:\n  sleepBetweenRetries: 1h\n", "ebpf:\n  bpffsPath: /tmp/x\n", "dryRun: true\n"}) {
    auto l =
        configFromPod(pod({{"traffic.kuma.io/transparent-proxy-config", yaml}}), AdminPolicy{});
    ASSERT_FALSE(l.ok()) << yaml;
    EXPECT_THAT(l.error().message(),
                HasSubstr("annotation traffic.kuma.io/transparent-proxy-config"));
    EXPECT_THAT(l.error().message(), HasSubstr("to allow_pod_settings")) << l.error().message();
  }
  auto dns = configFromPod(pod({{"traffic.kuma.io/transparent-proxy-config",
                                 "redirect:\n  dns:\n    resolvConfigPath: /dev/kmsg\n"}}),
                           AdminPolicy{});
  ASSERT_FALSE(dns.ok());
  EXPECT_THAT(dns.error().message(), HasSubstr("(redirect.dns.resolvConfigPath)"));
  EXPECT_THAT(dns.error().message(), HasSubstr("\"redirect.dns.resolvConfigPath\""));
}

TEST(PodPolicy, AllowedNodeLevelSettingsAreHonoured) {
  auto admin =
      policy(R"("allow_pod_settings":["ebpf.programsSourcePath","redirect.dns.resolvConfigPath"])");
  auto l = configFromPod(pod({{"kuma.io/transparent-proxying-ebpf-programs-source-path", "/opt/x"},
                              {"traffic.kuma.io/transparent-proxy-config",
                               "redirect:\n  dns:\n    resolvConfigPath: /etc/other.conf\n"}}),
                         admin);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->config.ebpf.programsSourcePath, "/opt/x");
  EXPECT_EQ(l->config.dns.resolvConfPath, "/etc/other.conf");
  // Still only those: the bpffs path is not in the list.
  auto other =
      configFromPod(pod({{"kuma.io/transparent-proxying-ebpf-bpf-fs-path", "/tmp/y"}}), admin);
  EXPECT_FALSE(other.ok());
}

TEST(PodPolicy, TheAdministratorLayerSetsNodePathsAndPodsOverridePodSettings) {
  auto admin = policy(R"("tproxy_config":{"ebpf":{"bpffsPath":"/run/kuma/bpf2"},
      "redirect":{"outbound":{"port":15009},"dns":{"resolvConfigPath":"/etc/r.conf"}}},
      "ebpf_programs_sha256":{"kuma_tproxy_cgroup.bpf.o":")" +
                      std::string(64, 'A') + R"("})");
  auto l = configFromPod(pod({{"kuma.io/transparent-proxying-outbound-port", "15001"},
                              // Repeating the administrator's own value decides nothing.
                              {"kuma.io/transparent-proxying-ebpf-bpf-fs-path", "/run/kuma/bpf2"}}),
                         admin);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->config.ebpf.bpffsPath, "/run/kuma/bpf2");
  EXPECT_EQ(l->config.dns.resolvConfPath, "/etc/r.conf");
  EXPECT_EQ(l->config.outbound.port, 15001);
  EXPECT_EQ(l->config.ebpf.programsSha256.at("kuma_tproxy_cgroup.bpf.o"), std::string(64, 'a'));
  EXPECT_TRUE(l->run.cniMode);
  auto del = adminConfig(admin);
  ASSERT_TRUE(del.ok()) << del.error().message();
  EXPECT_EQ(del->config.ebpf.bpffsPath, "/run/kuma/bpf2");
  EXPECT_TRUE(del->run.cniMode);
}

TEST(PodPolicy, AllowedBackends) {
  auto admin = policy(R"("allowed_backends":["iptables","nftables"])");
  auto ebpf = configFromPod(pod({{"kuma.io/transparent-proxying-ebpf", "enabled"}}), admin);
  ASSERT_FALSE(ebpf.ok());
  EXPECT_THAT(ebpf.error().message(), HasSubstr("annotation kuma.io/transparent-proxying-ebpf"));
  EXPECT_THAT(ebpf.error().message(), HasSubstr("chooses the ebpf backend"));
  EXPECT_THAT(ebpf.error().message(), HasSubstr("allowed_backends"));
  auto viaConfig = configFromPod(
      pod({{"traffic.kuma.io/transparent-proxy-config", "backend: iptables-legacy\n"}}), admin);
  EXPECT_FALSE(viaConfig.ok());
  auto nft =
      configFromPod(pod({{"kuma.io/transparent-proxying-experimental-engine", "enabled"}}), admin);
  EXPECT_TRUE(nft.ok()) << nft.error().message();
  auto none = configFromPod(pod({}), admin);
  EXPECT_TRUE(none.ok()) << none.error().message();
}

TEST(PodPolicy, BadPolicyKeysAreNetworkConfigErrors) {
  auto doc = decodeJson(R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni",
      "allow_pod_settings":["ebpf.programsSourcePath","ebpf.noSuchThing"],
      "allowed_backends":["iptables","bpf"],
      "ebpf_programs_sha256":{"kuma_tproxy_cgroup.bpf.o":"abc","../x":")" +
                        std::string(64, '0') + R"("},
      "tproxy_config":{"redirect":{"inbound":{"port":0}},"nope":1},
      "state_dir":"relative"})");
  ASSERT_TRUE(doc.ok());
  auto conf = parseNetConf(*doc);
  ASSERT_FALSE(conf.ok());
  const std::string m = conf.error().message();
  for (const char* part : {"allow_pod_settings: 'ebpf.noSuchThing' is not a setting key",
                           "allowed_backends:", "is not a SHA-256", "plain file name",
                           "tproxy_config", "state_dir: must be an absolute path"}) {
    EXPECT_THAT(m, HasSubstr(part)) << m;
  }
  auto notObject = decodeJson(R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni",
      "tproxy_config":"ebpf: {}"})");
  ASSERT_TRUE(notObject.ok());
  EXPECT_FALSE(parseNetConf(*notObject).ok());
}

}  // namespace
}  // namespace kt::cni
