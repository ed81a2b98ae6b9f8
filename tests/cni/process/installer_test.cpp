// `kuma-tproxy cni-install` run as a process against a temporary host directory tree.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cni/kubeconfig.h"
#include "process.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;

// Formatted the way calico's installer writes it; must come back byte for byte.
const char* kCalico = R"({
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "datastore_type": "kubernetes",
      "mtu": 1440,
      "ipam": { "type": "calico-ipam" },
      "policy": { "type": "k8s" },
      "kubernetes": { "kubeconfig": "/etc/cni/net.d/calico-kubeconfig" }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    }
  ]
}
)";

const char* kPlainConf =
    "{\n\t\"cniVersion\": \"0.3.0\",\n\t\"name\": \"mynet\",\n\t\"type\": \"bridge\",\n"
    "\t\"bridge\": \"cni0\",\n\t\"ipam\": {\"type\": \"host-local\", \"subnet\": "
    "\"10.244.0.0/16\"}\n}";

class Installer : public ::testing::Test {
 protected:
  Installer() : tmp_("install") {
    for (const char* d : {"net.d", "bin", "sa"})
      ::mkdir((tmp_ / d).c_str(), 0755);
    spit(tmp_ / "sa/token", "token-one\n");
    spit(tmp_ / "sa/ca.crt", "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
  }

  std::string net(const std::string& name) const { return tmp_ / ("net.d/" + name); }

  std::unique_ptr<Child> start(std::vector<std::pair<std::string, std::string>> extra = {}) {
    ChildOptions o;
    o.argv = {KT_TPROXY_BINARY, "cni-install"};
    o.env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
             {"KUBERNETES_SERVICE_PORT", "443"},
             {"CNI_NET_DIR", "/etc/cni/net.d"},
             {"MOUNTED_CNI_NET_DIR", tmp_ / "net.d"},
             {"MOUNTED_CNI_BIN_DIR", tmp_ / "bin"},
             {"MOUNTED_CNI_SECONDARY_BIN_DIR", tmp_ / "no-such-dir"},
             {"KUBE_CA_FILE", tmp_ / "sa/ca.crt"},
             {"KUBE_TOKEN_FILE", tmp_ / "sa/token"},
             {"READY_FILE", tmp_ / "ready"},
             {"CNI_PLUGIN_SOURCE", KT_TPROXY_BINARY},
             {"CNI_LOG_LEVEL", "debug"}};
    for (auto& kv : extra) {
      std::erase_if(o.env, [&](const auto& e) { return e.first == kv.first; });
      o.env.push_back(kv);
    }
    o.stderrFile = tmp_ / "installer.log";
    return std::make_unique<Child>(o);
  }

  bool ready() const { return ::access((tmp_ / "ready").c_str(), F_OK) == 0; }
  std::string log() const { return slurp(tmp_ / "installer.log"); }

  // Stops the installer with `sig` and expects a clean exit.
  void stop(Child& c, int sig = SIGTERM) {
    c.signal(sig);
    auto code = c.wait(std::chrono::seconds(20));
    ASSERT_TRUE(code.has_value()) << log();
    EXPECT_EQ(*code, 0) << log();
  }

  void expectNodeClean() {
    EXPECT_FALSE(ready());
    EXPECT_EQ(::access((tmp_ / "bin/kuma-cni").c_str(), F_OK), -1);
    EXPECT_EQ(::access(net("ZZZ-kuma-cni-kubeconfig").c_str(), F_OK), -1);
  }

  TempDir tmp_;
};

TEST_F(Installer, ChainsIntoAConflistAndRestoresItByteForByte) {
  spit(net("10-calico.conflist"), kCalico);
  ::chmod(net("10-calico.conflist").c_str(), 0640);
  auto c = start();
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();

  json doc = json::parse(slurp(net("10-calico.conflist")));
  ASSERT_EQ(doc["plugins"].size(), 3u);
  EXPECT_EQ(doc["plugins"][0]["type"], "calico");
  const json& ours = doc["plugins"][2];
  EXPECT_EQ(ours["type"], "kuma-cni");
  EXPECT_FALSE(ours.contains("cniVersion"));
  EXPECT_EQ(ours["kubernetes"]["kubeconfig"], "/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig");
  struct stat st {};
  ASSERT_EQ(::stat(net("10-calico.conflist").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "the file keeps its mode";

  // The plugin binary and a kubeconfig the plugin can read, private to root.
  ASSERT_EQ(::stat((tmp_ / "bin/kuma-cni").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(::stat(net("ZZZ-kuma-cni-kubeconfig").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto kc = loadKubeConfig(net("ZZZ-kuma-cni-kubeconfig"));
  ASSERT_TRUE(kc.ok()) << kc.error().message();
  EXPECT_EQ(kc->server, "https://10.96.0.1:443");
  EXPECT_EQ(kc->token.reveal(), "token-one");
  EXPECT_NE(kc->caPem.find("fake"), std::string::npos);
  EXPECT_EQ(log().find("token-one"), std::string::npos) << "the token is never logged";

  stop(*c);
  EXPECT_EQ(slurp(net("10-calico.conflist")), kCalico);
  ASSERT_EQ(::stat(net("10-calico.conflist").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  expectNodeClean();
}

// A primary CNI that keeps its configuration elsewhere and links it into the directory: the
// target is edited, the link stays a link, and removal gives the target its bytes back.
TEST_F(Installer, EditsTheTargetOfASymlinkedConflistAndKeepsTheLink) {
  ::mkdir((tmp_ / "flannel").c_str(), 0755);
  const std::string target = tmp_ / "flannel/real.conflist";
  spit(target, kCalico);
  ASSERT_EQ(::symlink("../flannel/real.conflist", net("10-flannel.conflist").c_str()), 0);
  auto isLink = [&] {
    struct stat st {};
    return ::lstat(net("10-flannel.conflist").c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  };
  auto c = start();
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();
  EXPECT_TRUE(isLink()) << "the link is kept";
  json doc = json::parse(slurp(target));
  ASSERT_EQ(doc["plugins"].size(), 3u) << slurp(target);
  EXPECT_EQ(doc["plugins"][2]["type"], "kuma-cni");

  // The primary CNI rewrites its target: the change reaches the runtime through the link and
  // we chain into it again.
  spit(target, kCalico);
  ASSERT_TRUE(waitFor([&] { return slurp(target).find("kuma-cni") != std::string::npos; }))
      << log();
  EXPECT_TRUE(isLink());

  stop(*c);
  EXPECT_TRUE(isLink()) << "removal keeps the link";
  EXPECT_EQ(slurp(target), kCalico) << "and restores the target byte for byte";
  expectNodeClean();
}

TEST_F(Installer, RefusesALinkOutsideTheConfigurationTree) {
  spit(net("05-other.conflist"), kCalico);
  // Runtimes would load this link first; it points at a host path outside /etc/cni.
  ASSERT_EQ(::symlink("/usr/share/doc/evil.conflist", net("01-link.conflist").c_str()), 0);
  auto c = start();
  auto code = c->wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.has_value()) << log();
  EXPECT_EQ(*code, 3) << log();
  EXPECT_NE(log().find("01-link.conflist: it is a symbolic link to /usr/share/doc/evil.conflist, "
                       "outside /etc/cni"),
            std::string::npos)
      << log();
  EXPECT_EQ(slurp(net("05-other.conflist")), kCalico) << "no other file is chained instead";
}

TEST_F(Installer, ChainsAgainWhenTheFileIsRewritten) {
  spit(net("10-calico.conflist"), kCalico);
  auto c = start();
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();
  // The primary CNI rewrites its file (e.g. after a restart), dropping our entry.
  spit(net("10-calico.conflist"), kCalico);
  ASSERT_TRUE(waitFor([&] {
    auto text = slurp(net("10-calico.conflist"));
    return text != kCalico && text.find("kuma-cni") != std::string::npos;
  })) << log();
  EXPECT_NE(log().find("chaining it again"), std::string::npos);
  stop(*c, SIGINT);
  EXPECT_EQ(slurp(net("10-calico.conflist")), kCalico);
  expectNodeClean();
}

TEST_F(Installer, WrapsAPlainConfAndRestoresIt) {
  spit(net("10-bridge.conf"), kPlainConf);
  auto c = start();
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();
  EXPECT_EQ(::access(net("10-bridge.conf").c_str(), F_OK), -1) << "moved aside";
  EXPECT_EQ(slurp(net("10-bridge.conf.kuma-cni-orig")), kPlainConf);
  json list = json::parse(slurp(net("10-bridge.conflist")));
  EXPECT_EQ(list["name"], "mynet");
  EXPECT_EQ(list["cniVersion"], "0.3.0");
  ASSERT_EQ(list["plugins"].size(), 2u);
  EXPECT_EQ(list["plugins"][0], json::parse(kPlainConf));
  EXPECT_EQ(list["plugins"][1]["type"], "kuma-cni");

  // The primary CNI writes its .conf again: wrapped again.
  spit(net("10-bridge.conf"), kPlainConf);
  ASSERT_TRUE(waitFor([&] { return ::access(net("10-bridge.conf").c_str(), F_OK) == -1; }))
      << log();

  stop(*c);
  EXPECT_EQ(slurp(net("10-bridge.conf")), kPlainConf);
  EXPECT_EQ(::access(net("10-bridge.conflist").c_str(), F_OK), -1);
  EXPECT_EQ(::access(net("10-bridge.conf.kuma-cni-orig").c_str(), F_OK), -1);
  expectNodeClean();
}

TEST_F(Installer, PicksTheFirstValidFileAndLeavesOthersAlone) {
  const std::string broken = "{ not json";
  const std::string later = R"({"cniVersion":"0.3.1","name":"z","plugins":[{"type":"ptp"}]})";
  spit(net("00-broken.conflist"), broken);
  spit(net("10-calico.conflist"), kCalico);
  spit(net("99-other.conflist"), later);
  auto c = start();
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();
  EXPECT_NE(slurp(net("10-calico.conflist")).find("kuma-cni"), std::string::npos);
  EXPECT_EQ(slurp(net("00-broken.conflist")), broken);
  EXPECT_EQ(slurp(net("99-other.conflist")), later);
  stop(*c);
  EXPECT_EQ(slurp(net("10-calico.conflist")), kCalico);
}

TEST_F(Installer, RefreshesTheToken) {
  spit(net("10-calico.conflist"), kCalico);
  auto c = start({{"REFRESH_SA_TOKEN_INTERVAL", "1"}});
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();
  spit(tmp_ / "sa/token", "token-two");
  ASSERT_TRUE(waitFor([&] {
    auto kc = loadKubeConfig(net("ZZZ-kuma-cni-kubeconfig"));
    return kc.ok() && kc->token.reveal() == "token-two";
  })) << log();
  stop(*c);
  EXPECT_EQ(log().find("token-two"), std::string::npos);
}

TEST_F(Installer, StandaloneWritesItsOwnFile) {
  auto c = start({{"CHAINED_CNI_PLUGIN", "false"}, {"CNI_CONF_NAME", "kuma-cni.conf"}});
  ASSERT_TRUE(waitFor([&] { return ready(); })) << log();
  json conf = json::parse(slurp(net("kuma-cni.conf")));
  EXPECT_EQ(conf["type"], "kuma-cni");
  EXPECT_EQ(conf["cniVersion"], "0.3.1");
  EXPECT_EQ(conf["kubernetes"]["kubeconfig"], "/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig");
  stop(*c);
  EXPECT_EQ(::access(net("kuma-cni.conf").c_str(), F_OK), -1);
  expectNodeClean();
}

TEST_F(Installer, SleepFalseInstallsAndExits) {
  spit(net("10-calico.conflist"), kCalico);
  auto c = start({{"SLEEP", "false"}});
  auto code = c->wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << log();
  EXPECT_TRUE(ready());
  EXPECT_NE(slurp(net("10-calico.conflist")).find("kuma-cni"), std::string::npos);
}

TEST_F(Installer, InvokedAsInstallCni) {
  // The CNI image's entrypoint is /install-cni, a link to the one binary.
  ASSERT_EQ(::symlink(KT_TPROXY_BINARY, (tmp_ / "install-cni").c_str()), 0);
  spit(net("10-calico.conflist"), kCalico);
  ChildOptions o;
  o.argv = {tmp_ / "install-cni"};
  o.env = {{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
           {"MOUNTED_CNI_NET_DIR", tmp_ / "net.d"},
           {"MOUNTED_CNI_BIN_DIR", tmp_ / "bin"},
           {"KUBE_CA_FILE", tmp_ / "sa/ca.crt"},
           {"KUBE_TOKEN_FILE", tmp_ / "sa/token"},
           {"READY_FILE", tmp_ / "ready"},
           {"SLEEP", "false"}};
  o.stderrFile = tmp_ / "installer.log";
  Child c(o);
  EXPECT_EQ(c.wait(std::chrono::seconds(20)), 0) << log();
  EXPECT_TRUE(ready());
  EXPECT_NE(slurp(net("10-calico.conflist")).find("kuma-cni"), std::string::npos);
}

TEST_F(Installer, ExitCodes) {
  // Invalid environment: 1.
  auto bad = start({{"CHAINED_CNI_PLUGIN", "perhaps"}});
  EXPECT_EQ(bad->wait(std::chrono::seconds(20)), 1);
  EXPECT_NE(log().find("CHAINED_CNI_PLUGIN"), std::string::npos);
  // Invalid log level: 2.
  auto level = start({{"CNI_LOG_LEVEL", "chatty"}});
  EXPECT_EQ(level->wait(std::chrono::seconds(20)), 2) << log();
  // A template of another type: 1.
  auto tmpl = start({{"CNI_NETWORK_CONFIG", R"({"type":"bridge"})"}});
  EXPECT_EQ(tmpl->wait(std::chrono::seconds(20)), 1);
  // No primary configuration within the wait: 3, and nothing left behind.
  auto none = start({{"CNI_CONF_WAIT_TIMEOUT", "0"}});
  EXPECT_EQ(none->wait(std::chrono::seconds(20)), 3);
  expectNodeClean();
}

}  // namespace
}  // namespace kt::cni::test
