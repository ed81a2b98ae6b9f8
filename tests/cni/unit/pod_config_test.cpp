#include <gtest/gtest.h>

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
  auto l = configFromPod(pod(
      {{"traffic.kuma.io/exclude-outbound-ports", "1234,5678"}, {"kuma.io/sidecar-uid", "5678"}}));
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_TRUE(l->config.cniMode);
  EXPECT_FALSE(l->disabled);
  ASSERT_EQ(l->config.outbound.excludePorts.size(), 2u);
  EXPECT_EQ(l->config.outbound.excludePorts[0].first, 1234);
}

TEST(PodConfig, BadAnnotationNamesThePod) {
  auto l = configFromPod(pod({{"traffic.kuma.io/exclude-outbound-ports", "99999"}}));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind(), ErrorKind::kConfig);
  EXPECT_NE(l.error().message().find("shop/web-0"), std::string::npos) << l.error().message();
}

TEST(PodConfig, DisabledPod) {
  auto l = configFromPod(pod({{"kuma.io/transparent-proxying", "disabled"}}));
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_TRUE(l->disabled);
}

TEST(PodConfig, ConfigMapModeAnnotationIsHonoured) {
  // The injector's YAML sets the outbound port; an explicit annotation still wins for
  // exclusions, as in Kuma's ConfigMap precedence.
  auto l = configFromPod(pod({{"traffic.kuma.io/transparent-proxy-config",
                               "redirect:\n  outbound:\n    port: 15002\n"
                               "    excludePorts: [1111]\n"},
                              {"traffic.kuma.io/exclude-outbound-ports", "2222"}}));
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->config.outbound.port, 15002);
  ASSERT_EQ(l->config.outbound.excludePorts.size(), 1u);
  EXPECT_EQ(l->config.outbound.excludePorts[0].first, 2222);
}

TEST(PodConfig, BrokenConfigMapModeAnnotationIsAnError) {
  auto l = configFromPod(pod({{"traffic.kuma.io/transparent-proxy-config", "redirect: [\n"}}));
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message().find("transparent-proxy-config"), std::string::npos)
      << l.error().message();
}

}  // namespace
}  // namespace kt::cni
