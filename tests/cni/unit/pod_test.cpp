#include <gtest/gtest.h>

#include "cni/pod.h"

namespace kt::cni {
namespace {

std::string podJson(const std::string& annotations, const std::string& containers,
                    const std::string& initContainers = "[]") {
  return R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"shop",
    "annotations":)" +
         annotations + R"(},"spec":{"containers":)" + containers + R"(,"initContainers":)" +
         initContainers + "}}";
}

const std::string kInjected = R"({"kuma.io/sidecar-injected":"true"})";
const std::string kAppAndSidecar = R"([{"name":"app"},{"name":"kuma-sidecar"}])";

TEST(Pod, ParsesTheApiObject) {
  auto p = Pod::fromJson(podJson(kInjected, kAppAndSidecar, R"([{"name":"setup"}])"));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->ns, "shop");
  EXPECT_EQ(p->name, "web");
  EXPECT_EQ(p->annotations.at("kuma.io/sidecar-injected"), "true");
  EXPECT_EQ(p->containers, (std::vector<std::string>{"app", "kuma-sidecar"}));
  EXPECT_EQ(p->initContainers, (std::vector<std::string>{"setup"}));
  EXPECT_EQ(skipReason(*p), std::nullopt);
}

TEST(Pod, SkipRules) {
  auto withInit = Pod::fromJson(podJson(kInjected, kAppAndSidecar, R"([{"name":"kuma-init"}])"));
  ASSERT_TRUE(withInit.ok());
  EXPECT_NE(skipReason(*withInit)->find("kuma-init"), std::string::npos);

  auto noSidecar = Pod::fromJson(podJson(kInjected, R"([{"name":"app"}])"));
  ASSERT_TRUE(noSidecar.ok());
  EXPECT_NE(skipReason(*noSidecar)->find("no kuma-sidecar"), std::string::npos);

  // Native sidecar: kuma-sidecar as an init container counts.
  auto native = Pod::fromJson(podJson(kInjected, R"([{"name":"app"}])",
                                      R"([{"name":"kuma-sidecar","restartPolicy":"Always"}])"));
  ASSERT_TRUE(native.ok());
  EXPECT_EQ(skipReason(*native), std::nullopt);

  for (const char* value : {R"({"kuma.io/sidecar-injected":"false"})",
                            R"({"kuma.io/sidecar-injected":"True"})", R"({})"}) {
    auto p = Pod::fromJson(podJson(value, kAppAndSidecar));
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(skipReason(*p).has_value()) << value;
  }
}

TEST(Pod, RejectsMalformedObjects) {
  for (const char* bad :
       {"", "[]", R"({"kind":"Status"})", R"({"kind":"Pod"})",
        R"({"metadata":{"annotations":{"a":1}}})", R"({"metadata":{},"spec":{"containers":[{}]}})",
        R"({"metadata":{},"spec":{"containers":{}}})"}) {
    EXPECT_FALSE(Pod::fromJson(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace kt::cni

namespace kt::cni {
namespace {

TEST(PodList, ParsesEveryItemWithNodeAndAddresses) {
  auto list = Pod::listFromJson(R"({"kind":"PodList","apiVersion":"v1","items":[
    {"metadata":{"name":"a","namespace":"x"},"spec":{"nodeName":"n1","containers":[]},
     "status":{"phase":"Running","podIPs":[{"ip":"10.0.0.5"},{"ip":"fd00::5"}]}},
    {"metadata":{"name":"b","namespace":"y"},"spec":{"nodeName":"n1","hostNetwork":true}}]})");
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].ns, "x");
  EXPECT_EQ((*list)[0].nodeName, "n1");
  EXPECT_EQ((*list)[0].phase, "Running");
  EXPECT_EQ((*list)[0].ips, (std::vector<std::string>{"10.0.0.5", "fd00::5"}));
  EXPECT_FALSE((*list)[0].hostNetwork);
  EXPECT_TRUE((*list)[1].hostNetwork);
  EXPECT_TRUE((*list)[1].ips.empty());

  auto empty = Pod::listFromJson(R"({"kind":"PodList","items":null})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(PodList, RejectsAPartialView) {
  for (const char* bad :
       {R"({"kind":"Pod","items":[]})", R"({"kind":"PodList","items":{}})",
        R"({"kind":"PodList","items":[{"metadata":1}]})",
        R"({"kind":"PodList","items":[{"metadata":{},"status":{"podIPs":[{}]}}]})", "[]", "{"}) {
    EXPECT_FALSE(Pod::listFromJson(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace kt::cni
