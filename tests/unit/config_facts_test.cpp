#include <gtest/gtest.h>
#include <pwd.h>

#include "config/facts.h"
#include "config_test_support.h"

namespace kt::config {
namespace {

using testing::TempFile;

std::vector<std::string> strs(const std::vector<IpAddress>& v) {
  std::vector<std::string> out;
  for (const auto& a : v)
    out.push_back(a.str());
  return out;
}

TEST(ConfigFacts, ResolvConfNameservers) {
  auto servers = parseResolvConf(
      "# generated\n"
      "search default.svc.cluster.local svc.cluster.local\n"
      "nameserver 10.96.0.10\n"
      "nameserver\tfd00::a\n"
      "  nameserver 127.0.0.11  # docker\n"
      "; nameserver 1.1.1.1\n"
      "#nameserver 8.8.8.8\n"
      "nameserver fe80::1%eth0\n"
      "nameserver 10.96.0.10\n"
      "nameserver not-an-address\n"
      "nameserver\n"
      "nameservers 9.9.9.9\n"
      "options ndots:5\n");
  EXPECT_EQ(strs(servers),
            (std::vector<std::string>{"10.96.0.10", "fd00::a", "127.0.0.11", "fe80::1"}));
  EXPECT_TRUE(parseResolvConf("").empty());
  EXPECT_TRUE(parseResolvConf("search x\n").empty());
}

TEST(ConfigFacts, NumericUsersNeedNoLookup) {
  Config cfg;
  cfg.kumaDpUser = SidecarUser::ofUid(1234);
  auto f = gatherFacts(cfg, {});
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->kumaDpUid, 1234u);
  cfg.kumaDpUser = SidecarUser::ofUid(0);
  EXPECT_EQ(gatherFacts(cfg, {})->kumaDpUid, 0u);
  cfg.kumaDpUser = SidecarUser::ofUid(4294967294u);
  EXPECT_EQ(gatherFacts(cfg, {})->kumaDpUid, 4294967294u);
}

TEST(ConfigFacts, NamedUsersAreLookedUp) {
  passwd* root = ::getpwnam("root");
  if (!root) GTEST_SKIP() << "this machine has no passwd entry named root";
  Config cfg;
  cfg.kumaDpUser = SidecarUser::named("root");
  auto f = gatherFacts(cfg, {});
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->kumaDpUid, root->pw_uid);

  cfg.kumaDpUser = SidecarUser::named("kt-no-such-user-" + std::to_string(::getpid()));
  auto missing = gatherFacts(cfg, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(missing.error().message(),
            "--kuma-dp-user: the user '" + cfg.kumaDpUser.name + "' does not exist on this host");
  EXPECT_EQ(missing.error().hint(), "pass the sidecar's numeric uid instead");
}

TEST(ConfigFacts, CniModeRefusesNamesAndNeverLooksUp) {
  Config cfg;
  RunOptions run;
  run.cniMode = true;
  cfg.kumaDpUser = SidecarUser::named("root");
  auto f = gatherFacts(cfg, run);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(f.error().message(),
            "--kuma-dp-user: 'root' is a user name, but CNI mode accepts only numeric uids");
  cfg.kumaDpUser = SidecarUser{};
  EXPECT_EQ(gatherFacts(cfg, run)->kumaDpUid, 5678u);
  cfg.kumaDpUser = SidecarUser::ofUid(777);
  EXPECT_EQ(gatherFacts(cfg, run)->kumaDpUid, 777u);
}

TEST(ConfigFacts, DefaultUserIsUid5678ThenKumaDp) {
  // Expected per the documented order, from this machine's passwd database.
  uint32_t expected = 5678;
  if (!::getpwuid(5678)) {
    if (passwd* p = ::getpwnam("kuma-dp")) expected = p->pw_uid;
  }
  auto f = gatherFacts(Config{}, {});
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->kumaDpUid, expected);
}

TEST(ConfigFacts, PasswdLinesAreParsedLikeKumactl) {
  const std::string text =
      "root:x:0:0:root:/root:/bin/bash\n"
      "# a comment:x:1:1::/:/bin/false\n"
      "\n"
      "+nisuser:x:2:2::/:/bin/false\n"
      "-other::3:3::/:\n"
      "kuma-dp:x:5678:5678::/nonexistent:/usr/sbin/nologin\r\n"
      "short:x\n"
      "badid:x:12a:1::/:\n"
      "toolarge:x:4294967295:1::/:\n"
      ":x:7:7::/:\n"
      "last:x:4294967294";
  EXPECT_EQ(parsePasswd(text),
            (std::vector<PasswdEntry>{{"root", 0}, {"kuma-dp", 5678}, {"last", 4294967294u}}));
  EXPECT_TRUE(parsePasswd("").empty());
}

TEST(ConfigFacts, ReadsResolvConfOnlyForRedirectDns) {
  TempFile resolv("nameserver 10.96.0.10\nnameserver fd00::10\n");
  Config cfg;
  cfg.dns.enabled = true;
  cfg.dns.resolvConfPath = resolv.path();
  auto f = gatherFacts(cfg, {});
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(strs(f->dnsServers), (std::vector<std::string>{"10.96.0.10", "fd00::10"}));

  cfg.dns.captureAll = true;
  cfg.dns.resolvConfPath = "/nonexistent/resolv.conf";
  f = gatherFacts(cfg, {});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->dnsServers.empty());

  cfg.dns.captureAll = false;
  f = gatherFacts(cfg, {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().kind(), ErrorKind::kConfig);
  EXPECT_EQ(f.error().message(),
            "--redirect-dns: cannot open /nonexistent/resolv.conf: No such file or directory");

  cfg.dns.enabled = false;
  EXPECT_TRUE(gatherFacts(cfg, {}).ok());
}

TEST(ConfigFacts, Ipv6FollowsTheConfiguration) {
  Config cfg;
  EXPECT_TRUE(gatherFacts(cfg, {})->ipv6);
  cfg.inbound.portV6 = 0;
  EXPECT_FALSE(gatherFacts(cfg, {})->ipv6);
  cfg = Config{};
  cfg.ipFamilyMode = IpFamilyMode::kIpv4;
  EXPECT_FALSE(gatherFacts(cfg, {})->ipv6);
}

}  // namespace
}  // namespace kt::config
