#include <gtest/gtest.h>

#include "cni/net_conf.h"

namespace kt::cni {
namespace {

Result<NetConf> parse(const std::string& text) {
  KT_ASSIGN_OR_RETURN(auto doc, decodeJson(text));
  return parseNetConf(doc);
}

TEST(NetConf, KumaHelmConfig) {
  auto c = parse(R"({"cniVersion":"0.3.1","name":"kuma-cni","type":"kuma-cni","log_level":"debug",
    "kubernetes":{"kubeconfig":"/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig","cni_bin_dir":"/opt/cni/bin",
    "exclude_namespaces":["kube-system","kuma-system"]}})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->logLevel, "debug");
  EXPECT_EQ(c->kubernetes.kubeconfig, "/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig");
  EXPECT_TRUE(c->namespaceExcluded("kube-system"));
  EXPECT_FALSE(c->namespaceExcluded("default"));
  EXPECT_EQ(c->kubernetes.apiRetries, 30u);
  EXPECT_EQ(c->kubernetes.apiRetryInterval, std::chrono::milliseconds(1000));
  EXPECT_FALSE(c->prevResult);
}

TEST(NetConf, OurFields) {
  auto c = parse(R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni","log_file":"/tmp/x.log",
    "lock_dir":"/run/x","kubernetes":{"api_retries":3,"api_retry_interval_ms":10,
    "api_timeout_ms":500},"prevResult":{"cniVersion":"1.0.0"}})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->logFile, "/tmp/x.log");
  EXPECT_EQ(c->lockDir, "/run/x");
  EXPECT_EQ(c->kubernetes.apiRetries, 3u);
  EXPECT_EQ(c->kubernetes.apiRetryInterval, std::chrono::milliseconds(10));
  EXPECT_EQ(c->kubernetes.apiTimeout, std::chrono::milliseconds(500));
  EXPECT_TRUE(c->prevResult);
}

TEST(NetConf, ReportsAllProblems) {
  auto c = parse(R"({"cniVersion":"1.0.0","type":7,"log_level":"loud","lock_dir":"rel",
    "kubernetes":{"exclude_namespaces":"kube-system","api_retries":0},"prevResult":[]})");
  ASSERT_FALSE(c.ok());
  const std::string m = c.error().message();
  for (const char* part : {"name: required", "type: must be a string", "log_level", "lock_dir",
                           "exclude_namespaces", "api_retries", "prevResult"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
}

TEST(NetConf, DecodeAndVersionStages) {
  EXPECT_FALSE(decodeJson("{not json").ok());
  EXPECT_FALSE(decodeJson("[1,2]").ok());
  EXPECT_FALSE(decodeJson(std::string(kMaxStdinBytes + 1, ' ')).ok());
  auto noVersion = decodeJson(R"({"name":"n","type":"t"})");
  ASSERT_TRUE(noVersion.ok());
  EXPECT_FALSE(configVersion(*noVersion).ok());
  auto future = decodeJson(R"({"cniVersion":"9.9.9"})");
  ASSERT_TRUE(future.ok());
  auto v = configVersion(*future);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("1.0.0"), std::string::npos);
}

TEST(NetConf, TotalTimeoutBoundsOneAddAndDefaultsUnderTheKubeletTimeout) {
  auto def = parse(R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni"})");
  ASSERT_TRUE(def.ok()) << def.error().message();
  EXPECT_EQ(def->kubernetes.totalTimeout, std::chrono::milliseconds(60000));
  auto set = parse(
      R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni","kubernetes":{"total_timeout_ms":2500}})");
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->kubernetes.totalTimeout, std::chrono::milliseconds(2500));
  auto bad = parse(
      R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni","kubernetes":{"total_timeout_ms":0}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("kubernetes.total_timeout_ms"), std::string::npos);
}

}  // namespace
}  // namespace kt::cni
