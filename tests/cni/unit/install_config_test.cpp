#include <gtest/gtest.h>

#include <map>

#include "cni/install/install_config.h"
#include "env_lookup.h"

namespace kt::cni {
namespace {

TEST(InstallConfig, KumaDefaults) {
  auto c = installConfigFromEnv(envOf({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->cniNetDir, "/etc/cni/net.d");
  EXPECT_EQ(c->mountedCniNetDir, "/host/etc/cni/net.d");
  EXPECT_TRUE(c->chained);
  EXPECT_EQ(c->kubeconfigName, "ZZZ-kuma-cni-kubeconfig");
  EXPECT_EQ(c->servicePort, "443");
  EXPECT_EQ(c->checkInterval, std::chrono::seconds(1));
  EXPECT_EQ(c->tokenRefreshInterval, std::chrono::seconds(60));
  EXPECT_TRUE(c->sleep);
  EXPECT_EQ(c->kubeconfigHostPath(), "/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig");
  EXPECT_EQ(c->kubeconfigMountedPath(), "/host/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig");
  EXPECT_EQ(c->networkConfigTemplate, defaultNetworkConfigTemplate());
}

TEST(InstallConfig, Overrides) {
  auto c = installConfigFromEnv(envOf({{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                       {"KUBERNETES_SERVICE_PORT", "6443"},
                                       {"CHAINED_CNI_PLUGIN", "false"},
                                       {"SLEEP", "0"},
                                       {"CFGCHECK_INTERVAL", "5"},
                                       {"CNI_CONF_NAME", "10-calico.conflist"},
                                       {"MOUNTED_CNI_BIN_DIR", "/x/bin"}}));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->chained);
  EXPECT_FALSE(c->sleep);
  EXPECT_EQ(c->checkInterval, std::chrono::seconds(5));
  EXPECT_EQ(c->confName, "10-calico.conflist");
  EXPECT_EQ(c->binDirs[0], "/x/bin");
}

TEST(InstallConfig, ReportsEveryProblem) {
  auto c = installConfigFromEnv(envOf({{"KUBERNETES_SERVICE_PORT", "http"},
                                       {"KUBERNETES_SERVICE_PROTOCOL", "http"},
                                       {"CHAINED_CNI_PLUGIN", "maybe"},
                                       {"CFGCHECK_INTERVAL", "0"},
                                       {"CNI_NET_DIR", "relative"},
                                       {"CNI_CONF_NAME", "../../etc/passwd"},
                                       {"KUBECFG_FILE_NAME", "kube\nconfig"},
                                       {"READY_FILE", "/tmp/ready\n"}}));
  ASSERT_FALSE(c.ok());
  for (const char* v :
       {"KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBERNETES_SERVICE_PROTOCOL",
        "CHAINED_CNI_PLUGIN", "CFGCHECK_INTERVAL", "CNI_NET_DIR", "CNI_CONF_NAME"}) {
    EXPECT_NE(c.error().message().find(v), std::string::npos) << v;
  }
}

}  // namespace
}  // namespace kt::cni

namespace kt::cni {
namespace {

TEST(InstallConfigRepair, DefaultsAndOverrides) {
  auto d = installConfigFromEnv(envOf({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE(d->repairEnabled);
  EXPECT_EQ(d->repairInterval, std::chrono::seconds(10));
  EXPECT_EQ(d->repairMaxPerPass, 20u);
  EXPECT_EQ(d->nodeName, "");
  EXPECT_EQ(d->metricsAddr, "127.0.0.1:15014");

  std::map<std::string, std::string> vars = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                             {"REPAIR_ENABLED", "false"},
                                             {"REPAIR_INTERVAL", "250ms"},
                                             {"REPAIR_MAX_PER_INTERVAL", "3"},
                                             {"NODE_NAME", "node-1.example"},
                                             {"METRICS_ADDR", ""}};
  auto c = installConfigFromEnv(envOf(vars));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->repairEnabled);
  EXPECT_EQ(c->repairInterval, std::chrono::milliseconds(250));
  EXPECT_EQ(c->repairMaxPerPass, 3u);
  EXPECT_EQ(c->nodeName, "node-1.example");
  EXPECT_EQ(c->metricsAddr, "");
}

TEST(InstallConfigRepair, RejectsBadValuesTogether) {
  std::map<std::string, std::string> vars = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                             {"REPAIR_INTERVAL", "50ms"},
                                             {"REPAIR_MAX_PER_INTERVAL", "0"},
                                             {"NODE_NAME", "Not_A_Node"}};
  auto c = installConfigFromEnv(envOf(vars));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("REPAIR_INTERVAL"), std::string::npos);
  EXPECT_NE(c.error().message().find("REPAIR_MAX_PER_INTERVAL"), std::string::npos);
  EXPECT_NE(c.error().message().find("NODE_NAME"), std::string::npos);
}

TEST(InstallConfigRepair, Durations) {
  using std::chrono::milliseconds;
  auto parse = [](const std::string& t) {
    return parseDuration("X", t, milliseconds(100), milliseconds(86400000));
  };
  EXPECT_EQ(parse("10s").value(), milliseconds(10000));
  EXPECT_EQ(parse("10").value(), milliseconds(10000));
  EXPECT_EQ(parse("200ms").value(), milliseconds(200));
  EXPECT_EQ(parse("2m").value(), milliseconds(120000));
  for (std::string bad : {"", "s", "-1s", "1h", "1.5s", "10 s", "99ms", "2000m"})
    EXPECT_FALSE(parse(bad).ok()) << bad;
}

}  // namespace
}  // namespace kt::cni
