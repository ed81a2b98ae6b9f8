// kuma-cni in a real plugin chain (bridge + host-local, loopback, kuma-cni) executed by the test
// runtime, against the stub API server. Root: namespaces, bridge, veth.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chain_fixture.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;

class Chain : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: network namespaces, bridge and veth";
    f_ = std::make_unique<ChainFixture>(GetParam());
    ASSERT_TRUE(f_->ok()) << f_->whyNot();
  }
  bool hasCheck() const { return GetParam() != "0.3.0" && GetParam() != "0.3.1"; }

  std::unique_ptr<ChainFixture> f_;
};

TEST_P(Chain, PodWithoutSidecarGetsItsAddressAndIsPassedThrough) {
  f_->api().addPod(makePod("shop", "plain", false));
  auto pod = f_->pod("shop", "plain");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  // The final result is the bridge's, converted to the list's version by every plugin.
  EXPECT_EQ(add.result["cniVersion"], GetParam());
  ASSERT_FALSE(add.result["ips"].empty()) << add.result.dump();
  std::string address = add.result["ips"][0]["address"];
  EXPECT_EQ(address.rfind(f_->subnetPrefix(), 0), 0u) << address;
  EXPECT_EQ(add.result["ips"][0].contains("version"), GetParam()[0] == '0');
  // The plugin before us and our output agree.
  json bridgeOut = add.calls[0].output;
  EXPECT_EQ(add.result["ips"], bridgeOut["ips"]);
  EXPECT_EQ(add.result["interfaces"], bridgeOut["interfaces"]);
  // The pod really has the address.
  EXPECT_NE(podAddresses(*pod.ns).find(address), std::string::npos) << podAddresses(*pod.ns);
  EXPECT_NE(f_->kumaLog().find("skipped: it has no kuma-sidecar container"), std::string::npos)
      << f_->kumaLog();
  EXPECT_EQ(f_->api().requests().size(), 1u);

  if (hasCheck()) {
    auto check = f_->runtime().check(pod.attachment);
    EXPECT_TRUE(check.ok) << check.describe();
  }
  auto del = f_->runtime().del(pod.attachment);
  EXPECT_TRUE(del.ok) << del.describe();
  auto again = f_->runtime().del(pod.attachment);
  EXPECT_TRUE(again.ok) << again.describe();
}

TEST_P(Chain, ExcludedNamespaceNeverAsksTheApi) {
  f_->api().addPod(makePod("kube-system", "coredns", true));
  auto pod = f_->pod("kube-system", "coredns");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  EXPECT_TRUE(f_->api().requests().empty());
  EXPECT_NE(f_->kumaLog().find("kube-system is in kubernetes.exclude_namespaces"),
            std::string::npos);
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

TEST_P(Chain, ApiThatFailsTwiceThenAnswers) {
  f_->api().addPod(makePod("shop", "flaky", false));
  f_->api().setBehaviour("shop", "flaky", {{"fail_first", 2}, {"fail_status", 500}});
  auto pod = f_->pod("shop", "flaky");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  auto reqs = f_->api().requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0]["status"], 500);
  EXPECT_EQ(reqs[1]["status"], 500);
  EXPECT_EQ(reqs[2]["status"], 200);
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

TEST_P(Chain, ApiErrorsFailAddWithTheirCodes) {
  // Always 500: try again later (11) after kubernetes.api_retries attempts.
  f_->api().setBehaviour("shop", "down", {{"status", 500}});
  auto down = f_->pod("shop", "down");
  auto add = f_->runtime().add(down.attachment);
  ASSERT_FALSE(add.ok);
  EXPECT_EQ(add.calls.back().type, "kuma-cni");
  EXPECT_EQ(add.error()["code"], 11) << add.describe();
  EXPECT_EQ(add.error()["cniVersion"], GetParam());
  EXPECT_EQ(f_->api().requests().size(), 5u);
  EXPECT_TRUE(f_->runtime().del(down.attachment).ok);

  // No such pod: container unknown (3), not retried.
  auto ghost = f_->pod("shop", "ghost");
  auto add2 = f_->runtime().add(ghost.attachment);
  ASSERT_FALSE(add2.ok);
  EXPECT_EQ(add2.error()["code"], 3) << add2.describe();
  EXPECT_EQ(f_->api().requests().size(), 6u);
  EXPECT_TRUE(f_->runtime().del(ghost.attachment).ok);
}

TEST_P(Chain, DelWithAVanishedNamespaceSucceeds) {
  f_->api().addPod(makePod("shop", "gone", false));
  auto pod = f_->pod("shop", "gone");
  ASSERT_TRUE(f_->runtime().add(pod.attachment).ok);
  pod.ns->remove();
  auto del = f_->runtime().del(pod.attachment);
  EXPECT_TRUE(del.ok) << del.describe();
  // kuma-cni alone, with a path that is now a plain leftover file or nothing at all.
  json conf = {{"cniVersion", GetParam()}, {"name", "n"}, {"type", "kuma-cni"}};
  auto call = f_->runtime().invoke("kuma-cni", "DEL", conf.dump(), pod.attachment);
  EXPECT_EQ(call.exitCode, 0) << call.out << call.err;
  EXPECT_EQ(call.out, "");
}

INSTANTIATE_TEST_SUITE_P(CniVersions, Chain, ::testing::Values("0.3.0", "0.3.1", "0.4.0", "1.0.0"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = "v" + p.param;
                           for (auto& c : n)
                             if (c == '.') c = '_';
                           return n;
                         });

// The plugin binary speaks the protocol by itself: versions, errors, and no secrets in logs.
class Protocol : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: network namespaces";
    f_ = std::make_unique<ChainFixture>("1.0.0", json{{"log_level", "trace"}});
    ASSERT_TRUE(f_->ok()) << f_->whyNot();
  }
  PluginCall kuma(const std::string& command, const std::string& stdinText, const Attachment& a,
                  std::vector<std::pair<std::string, std::string>> env = {}) {
    return f_->runtime().invoke("kuma-cni", command, stdinText, a, std::move(env));
  }
  std::unique_ptr<ChainFixture> f_;
};

TEST_F(Protocol, VersionAndErrorCodes) {
  Attachment a{"c1", "/proc/self/ns/net", "eth0", ""};
  auto version = kuma("VERSION", "", a);
  ASSERT_EQ(version.exitCode, 0);
  EXPECT_EQ(version.output["supportedVersions"],
            json({"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}));

  auto malformed = kuma("ADD", "{\"cniVersion\":", a);
  EXPECT_NE(malformed.exitCode, 0);
  EXPECT_EQ(malformed.output["code"], 6) << malformed.out;

  auto unknown = kuma("ADD", R"({"cniVersion":"0.5.0","name":"n","type":"kuma-cni"})", a);
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_EQ(unknown.output["code"], 1) << unknown.out;

  Attachment noNetns{"c1", "", "eth0", ""};
  auto missing = kuma("ADD", R"({"cniVersion":"1.0.0","name":"n","type":"kuma-cni"})", noNetns);
  EXPECT_NE(missing.exitCode, 0);
  EXPECT_EQ(missing.output["code"], 4) << missing.out;
  // Errors are JSON on stdout only; the log lines went to stderr.
  EXPECT_EQ(missing.out.find("\n"), missing.out.size() - 1);
  EXPECT_NE(missing.err.find("CNI_NETNS"), std::string::npos);
}

TEST_F(Protocol, TheTokenNeverAppearsInLogs) {
  f_->api().addPod(makePod("shop", "web", false));
  auto pod = f_->pod("shop", "web");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  // A rejected token and a broken kubeconfig at trace level, too.
  std::string wrong = slurp(f_->tmp() / "kubeconfig");
  wrong.insert(wrong.find(kApiToken) + std::string(kApiToken).size(), "-wrong");
  spit(f_->tmp() / "bad-kubeconfig", wrong);
  json conf = {{"cniVersion", "1.0.0"},
               {"name", "n"},
               {"type", "kuma-cni"},
               {"log_level", "trace"},
               {"log_file", f_->tmp() / "kuma-cni.log"},
               {"kubernetes", {{"kubeconfig", f_->tmp() / "bad-kubeconfig"}}}};
  auto denied = kuma("ADD", conf.dump(), pod.attachment);
  EXPECT_EQ(denied.output["code"], 5) << denied.out;
  spit(f_->tmp() / "broken-kubeconfig",
       std::string("users:\n- user:\n    token: ") + kApiToken + "\n  bad: [\n");
  conf["kubernetes"]["kubeconfig"] = f_->tmp() / "broken-kubeconfig";
  auto broken = kuma("ADD", conf.dump(), pod.attachment);
  EXPECT_EQ(broken.output["code"], 7) << broken.out;

  std::string everything = f_->kumaLog();
  for (const auto& c : add.calls)
    everything += c.out + c.err;
  everything += denied.out + denied.err + broken.out + broken.err;
  EXPECT_NE(everything.find("GET https://127.0.0.1"), std::string::npos)
      << "the trace log shows the request (without credentials)";
  EXPECT_EQ(everything.find(kApiToken), std::string::npos) << everything;
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

// An API server that accepts and never answers, with the default API settings (30 attempts of
// 10 s): ADD must give up with "try again later" by its total deadline (60 s by default), before
// the runtime's own 2-minute timeout (the test runtime kills plugins after 120 s, like the
// kubelet's runtime request timeout) cuts it off without an answer.
TEST_F(Protocol, SilentApiServerFailsAddWithTryAgainLater) {
  f_->api().addPod(makePod("shop", "silent", true));
  f_->api().setBehaviour("shop", "silent", {{"delay_ms", 600000}});
  auto pod = f_->pod("shop", "silent");
  json conf = {{"cniVersion", "1.0.0"},
               {"name", "n"},
               {"type", "kuma-cni"},
               {"log_file", f_->tmp() / "kuma-cni.log"},
               {"lock_dir", f_->tmp() / "locks"},
               {"kubernetes", {{"kubeconfig", f_->tmp() / "kubeconfig"}}}};
  auto add = kuma("ADD", conf.dump(), pod.attachment);
  EXPECT_EQ(add.exitCode, 1) << add.out << add.err;
  EXPECT_EQ(add.output["code"], 11) << add.out << add.err;
  EXPECT_NE(add.out.find("the deadline of this request passed"), std::string::npos) << add.out;
}

}  // namespace
}  // namespace kt::cni::test
