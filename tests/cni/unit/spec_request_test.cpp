#include <gtest/gtest.h>

#include <map>

#include "cni/request.h"
#include "cni/spec.h"
#include "env_lookup.h"

namespace kt::cni {
namespace {

std::map<std::string, std::string> addEnv() {
  return {{"CNI_COMMAND", "ADD"},
          {"CNI_CONTAINERID", "c0ffee"},
          {"CNI_NETNS", "/var/run/netns/pod"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin:/usr/lib/cni"},
          {"CNI_ARGS",
           "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
           "K8S_POD_INFRA_CONTAINER_ID=c0ffee"}};
}

TEST(SpecVersion, ParsesAndOrders) {
  auto a = SpecVersion::parse("0.4.0");
  auto b = SpecVersion::parse("1.0.0");
  ASSERT_TRUE(a && b);
  EXPECT_LT(*a, *b);
  for (const char* bad : {"", "1", "1.0", "1.0.0.0", "v1.0.0", "1.0.x", "1..0", " 1.0.0"}) {
    EXPECT_FALSE(SpecVersion::parse(bad)) << bad;
  }
}

TEST(Spec, SupportedVersionsAndCommands) {
  EXPECT_TRUE(isSupportedVersion("0.3.0"));
  EXPECT_TRUE(isSupportedVersion("1.1.0"));
  EXPECT_FALSE(isSupportedVersion("0.2.0"));
  EXPECT_FALSE(isSupportedVersion("2.0.0"));
  EXPECT_TRUE(commandAllowedIn(Command::kAdd, "0.3.0").ok());
  EXPECT_FALSE(commandAllowedIn(Command::kCheck, "0.3.1").ok());
  EXPECT_TRUE(commandAllowedIn(Command::kCheck, "0.4.0").ok());
  EXPECT_FALSE(commandAllowedIn(Command::kStatus, "1.0.0").ok());
  EXPECT_TRUE(commandAllowedIn(Command::kStatus, "1.1.0").ok());
  EXPECT_TRUE(isPreOneZero("0.4.0"));
  EXPECT_FALSE(isPreOneZero("1.0.0"));
  EXPECT_EQ(parseCommand("add"), std::nullopt);
  EXPECT_EQ(parseCommand("DEL"), Command::kDel);
}

TEST(CniArgs, ParsesPairs) {
  auto a = CniArgs::parse("A=1;;B=x=y;A=2");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->get("A"), "2");
  EXPECT_EQ(a->get("B"), "x=y");
  EXPECT_EQ(a->get("C"), std::nullopt);
  EXPECT_FALSE(CniArgs::parse("A=1;garbage").ok());
  EXPECT_FALSE(CniArgs::parse("=1").ok());
  EXPECT_TRUE(CniArgs::parse("").ok());
}

TEST(Request, ReadsAddEnvironment) {
  auto r = requestFromEnv(envOf(addEnv()));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->command, Command::kAdd);
  EXPECT_EQ(r->podNamespace(), "default");
  EXPECT_EQ(r->podName(), "web-0");
  EXPECT_EQ(r->podSandboxId(), "c0ffee");
  EXPECT_EQ(r->path, (std::vector<std::string>{"/opt/cni/bin", "/usr/lib/cni"}));
}

TEST(Request, ReportsEveryMissingVariable) {
  auto env = addEnv();
  env.erase("CNI_NETNS");
  env.erase("CNI_IFNAME");
  auto r = requestFromEnv(envOf(env));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("CNI_NETNS is not set"), std::string::npos);
  EXPECT_NE(r.error().message().find("CNI_IFNAME is not set"), std::string::npos);
}

TEST(Request, DelDoesNotNeedNetns) {
  auto env = addEnv();
  env["CNI_COMMAND"] = "DEL";
  env.erase("CNI_NETNS");
  EXPECT_TRUE(requestFromEnv(envOf(env)).ok());
}

TEST(Request, VersionNeedsNothing) {
  auto r = requestFromEnv(envOf({{"CNI_COMMAND", "VERSION"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, Command::kVersion);
}

TEST(Request, RejectsBadValues) {
  struct Case {
    const char* var;
    const char* value;
  } cases[] = {
      {"CNI_COMMAND", "FROB"},
      {"CNI_CONTAINERID", "-leading-dash"},
      {"CNI_CONTAINERID", "has space"},
      {"CNI_IFNAME", "averyveryverylongname"},
      {"CNI_IFNAME", "eth/0"},
      {"CNI_IFNAME", ".."},
      {"CNI_NETNS", "relative/path"},
      {"CNI_ARGS", "K8S_POD_NAME=../../secrets"},
      {"CNI_ARGS", "K8S_POD_NAMESPACE=Default"},
      {"CNI_ARGS", "novalue"},
  };
  for (const auto& c : cases) {
    auto env = addEnv();
    env[c.var] = c.value;
    EXPECT_FALSE(requestFromEnv(envOf(env)).ok()) << c.var << "=" << c.value;
  }
  EXPECT_FALSE(requestFromEnv(envOf({})).ok());
}

TEST(ObjectName, Dns1123) {
  EXPECT_TRUE(isValidObjectName("web-0"));
  EXPECT_TRUE(isValidObjectName("a.b-c"));
  EXPECT_FALSE(isValidObjectName(""));
  EXPECT_FALSE(isValidObjectName("-a"));
  EXPECT_FALSE(isValidObjectName("a/b"));
  EXPECT_FALSE(isValidObjectName("A"));
  EXPECT_FALSE(isValidObjectName(std::string(254, 'a')));
}

}  // namespace
}  // namespace kt::cni
