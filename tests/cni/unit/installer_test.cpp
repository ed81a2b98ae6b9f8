// The installer's file handling in-process, for orders of events a process test cannot pin down.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "cni/install/installer.h"
#include "process.h"

namespace kt::cni {
namespace {

using test::slurp;
using test::spit;

class InstallerFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<test::TempDir>("installer");
    dir_ = tmp_->path();
    for (const char* d : {"/net.d", "/bin"})
      ::mkdir((dir_ + d).c_str(), 0755);
    spit(dir_ + "/token", "t0ken");
    spit(dir_ + "/ca.crt", "CA");
    spit(dir_ + "/plugin", "#!binary");
    cfg_.mountedCniNetDir = dir_ + "/net.d";
    cfg_.binDirs = {dir_ + "/bin", dir_ + "/missing"};
    cfg_.serviceHost = "10.96.0.1";
    cfg_.caFile = dir_ + "/ca.crt";
    cfg_.tokenFile = dir_ + "/token";
    cfg_.pluginSource = dir_ + "/plugin";
    cfg_.networkConfigTemplate = defaultNetworkConfigTemplate();
    cfg_.confWaitTimeout = std::chrono::seconds(0);
  }
  std::string net(const std::string& n) const { return dir_ + "/net.d/" + n; }

  std::unique_ptr<test::TempDir> tmp_;
  std::string dir_;
  InstallConfig cfg_;
};

const char* kConf = R"({"cniVersion":"0.3.1","name":"n","type":"bridge"})";
const char* kConfV2 = R"({"cniVersion":"0.3.1","name":"n","type":"bridge","mtu":1400})";

TEST_F(InstallerFiles, ANewerPlainConfWinsOverTheBackup) {
  spit(net("10-net.conf"), kConf);
  auto inst = Installer::make(cfg_);
  ASSERT_TRUE(inst.ok()) << inst.error().message();
  ASSERT_TRUE(inst->install().ok());
  EXPECT_EQ(slurp(net("10-net.conf.kuma-cni-orig")), kConf);
  // The primary CNI writes a new version before we had a chance to wrap it again.
  spit(net("10-net.conf"), kConfV2);
  ASSERT_TRUE(inst->uninstall().ok());
  EXPECT_EQ(slurp(net("10-net.conf")), kConfV2);
  EXPECT_NE(::access(net("10-net.conf.kuma-cni-orig").c_str(), F_OK), 0);
  EXPECT_NE(::access(net("10-net.conflist").c_str(), F_OK), 0);
}

TEST_F(InstallerFiles, NeverOverwritesSomeoneElsesConflist) {
  const std::string theirs = R"({"cniVersion":"0.3.1","name":"x","plugins":[{"type":"ptp"}]})";
  spit(net("10-net.conf"), kConf);
  spit(net("10-net.conflist"), theirs);
  cfg_.confName = "10-net.conf";
  auto inst = Installer::make(cfg_);
  ASSERT_TRUE(inst.ok());
  auto s = inst->install();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("not ours"), std::string::npos) << s.error().message();
  EXPECT_EQ(slurp(net("10-net.conflist")), theirs);
  EXPECT_EQ(slurp(net("10-net.conf")), kConf);
  ASSERT_TRUE(inst->uninstall().ok());
  EXPECT_EQ(slurp(net("10-net.conflist")), theirs);
}

TEST_F(InstallerFiles, ReconcileWritesNothingWhenIntact) {
  spit(net("10-net.conflist"), R"({"cniVersion":"0.3.1","name":"n","plugins":[{"type":"ptp"}]})");
  auto inst = Installer::make(cfg_);
  ASSERT_TRUE(inst.ok());
  ASSERT_TRUE(inst->install().ok());
  struct stat before {
  }, after{};
  ASSERT_EQ(::stat(net("10-net.conflist").c_str(), &before), 0);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(inst->reconcile().ok());
  ASSERT_EQ(::stat(net("10-net.conflist").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "no rewrite (a rewrite renames a new inode in)";
}

TEST_F(InstallerFiles, TemplateChecks) {
  cfg_.networkConfigTemplate = R"({"type":"kuma-cni","x":"__SERVICEACCOUNT_TOKEN__"})";
  EXPECT_FALSE(Installer::make(cfg_).ok());
  cfg_.networkConfigTemplate = "[]";
  EXPECT_FALSE(Installer::make(cfg_).ok());
  cfg_.networkConfigTemplate = R"({"type":"kuma-cni","k":{"p":"a__KUBECONFIG_FILEPATH__b"}})";
  EXPECT_TRUE(Installer::make(cfg_).ok());
}

}  // namespace
}  // namespace kt::cni
