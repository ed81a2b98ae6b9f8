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
