// kuma-cni setting up, checking and removing real rules in pods started through the chain.
// Parameterized over the backend the pod's annotations select.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "chain_fixture.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;

struct BackendCase {
  std::string name;
  json annotations;  // selects the backend
};

// Our IPv4 rules as the backend under test shows them: iptables-save of both modes, or the
// nftables table (iptables-nft rules would show up in `nft list ruleset` a second time, and
// IPv6 rules, present when the pod has a link-local address, once more per family).
std::string kernelState(const Netns& ns, const std::string& backend) {
  std::string all;
  if (backend == "nftables") {
    runTool({"nft", "list", "ruleset"}, &all, ns.fd());
    return all;
  }
  for (const char* tool : {"iptables-legacy-save", "iptables-nft-save"}) {
    std::string out;
    runTool({tool}, &out, ns.fd());
    all += out;
  }
  return all;
}

// Everything of ours in any view, both families.
std::string anyState(const Netns& ns) {
  std::string all = kernelState(ns, "iptables") + kernelState(ns, "nftables");
  for (const char* tool : {"ip6tables-legacy-save", "ip6tables-nft-save"}) {
    std::string out;
    runTool({tool}, &out, ns.fd());
    all += out;
  }
  return all;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

constexpr char kRedirectComment[] = "kuma/mesh/transparent/proxy/outbound-redirect";

class Injected : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: network namespaces, bridge, rules";
    f_ = std::make_unique<ChainFixture>("1.0.0");
    ASSERT_TRUE(f_->ok()) << f_->whyNot();
  }

  json annotations() const {
    json a = {{"traffic.kuma.io/exclude-outbound-ports", "4321"},
              {"traffic.kuma.io/exclude-inbound-ports", "8081"}};
    a.update(GetParam().annotations);
    return a;
  }

  // Removes one of our rules behind the plugin's back.
  void tamper(const Netns& ns) {
    std::string out;
    if (GetParam().name == "nftables") {
      ASSERT_EQ(
          runTool({"nft", "flush", "chain", "inet", "kuma_mesh", "KUMA_MESH_OUTBOUND_REDIRECT"},
                  &out, ns.fd()),
          0)
          << out;
      return;
    }
    std::string nftSave;
    runTool({"iptables-nft-save"}, &nftSave, ns.fd());
    const char* tool =
        nftSave.find("KUMA_MESH") != std::string::npos ? "iptables-nft" : "iptables-legacy";
    ASSERT_EQ(runTool({tool, "-t", "nat", "-F", "KUMA_MESH_OUTBOUND_REDIRECT"}, &out, ns.fd()), 0)
        << out;
  }

  std::unique_ptr<ChainFixture> f_;
};

TEST_P(Injected, AddInstallsCheckVerifiesDelRemoves) {
  f_->api().addPod(makePod("shop", "web", true, annotations()));
  auto pod = f_->pod("shop", "web");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe() << f_->kumaLog();
  EXPECT_EQ(add.result["ips"], add.calls[0].output["ips"]) << "prevResult passed through";

  std::string state = kernelState(*pod.ns, GetParam().name);
  EXPECT_EQ(count(state, kRedirectComment), 1u) << state;
  EXPECT_NE(state.find("4321"), std::string::npos) << "the pod's exclusion is in: " << state;
  EXPECT_NE(state.find("8081"), std::string::npos) << state;
  EXPECT_NE(f_->kumaLog().find("transparent proxy installed with " + GetParam().name),
            std::string::npos)
      << f_->kumaLog();

  // The independent view: `kuma-tproxy verify` with the same annotations agrees.
  std::vector<std::string> verify = {KT_TPROXY_BINARY, "verify", "--netns", pod.ns->path()};
  const json podAnnotations = annotations();
  for (auto it = podAnnotations.begin(); it != podAnnotations.end(); ++it)
    verify.push_back("--annotation=" + it.key() + "=" + it.value().get<std::string>());
  std::string out;
  EXPECT_EQ(runTool(verify, &out), 0) << out;

  auto check = f_->runtime().check(pod.attachment);
  EXPECT_TRUE(check.ok) << check.describe();

  tamper(*pod.ns);
  auto drift = f_->runtime().check(pod.attachment);
  ASSERT_FALSE(drift.ok);
  EXPECT_EQ(drift.calls.back().type, "kuma-cni") << "bridge and loopback still pass";
  EXPECT_EQ(drift.error()["code"], 100) << drift.describe();
  EXPECT_NE(drift.error()["details"].get<std::string>().find("outbound-redirect"),
            std::string::npos)
      << drift.error().dump();

  auto del = f_->runtime().del(pod.attachment);
  ASSERT_TRUE(del.ok) << del.describe();
  state = anyState(*pod.ns);
  EXPECT_EQ(state.find("KUMA_MESH"), std::string::npos) << state;
  EXPECT_EQ(state.find("kuma_mesh"), std::string::npos) << state;
  auto again = f_->runtime().del(pod.attachment);
  EXPECT_TRUE(again.ok) << again.describe();
}

TEST_P(Injected, ApiThatFailsTwiceThenAnswers) {
  f_->api().addPod(makePod("shop", "flaky", true, annotations()));
  f_->api().setBehaviour("shop", "flaky", {{"fail_first", 2}, {"fail_status", 503}});
  auto pod = f_->pod("shop", "flaky");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  EXPECT_EQ(f_->api().requests().size(), 3u);
  EXPECT_EQ(count(kernelState(*pod.ns, GetParam().name), kRedirectComment), 1u);
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

TEST_P(Injected, ParallelAddsForOnePodEndInOneRuleset) {
  f_->api().addPod(makePod("shop", "busy", true, annotations()));
  auto pod = f_->pod("shop", "busy");
  // The interface first, through the chain without kuma-cni's effect mattering.
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  // Then five more kuma-cni ADDs at once, as a runtime retrying could produce.
  json conf = {{"cniVersion", "1.0.0"},
               {"name", "kt-cni-test"},
               {"type", "kuma-cni"},
               {"log_level", "debug"},
               {"log_file", f_->tmp() / "kuma-cni.log"},
               {"lock_dir", f_->tmp() / "locks"},
               {"state_dir", f_->tmp() / "state"},
               {"kubernetes", {{"kubeconfig", f_->tmp() / "kubeconfig"}}},
               {"prevResult", add.result}};
  std::vector<PluginCall> calls(5);
  std::vector<std::thread> threads;
  for (auto& c : calls)
    threads.emplace_back(
        [&] { c = f_->runtime().invoke("kuma-cni", "ADD", conf.dump(), pod.attachment); });
  for (auto& t : threads)
    t.join();
  for (const auto& c : calls)
    EXPECT_EQ(c.exitCode, 0) << c.out << c.err;
  std::string state = kernelState(*pod.ns, GetParam().name);
  EXPECT_EQ(count(state, kRedirectComment), 1u) << state;
  EXPECT_TRUE(f_->runtime().check(pod.attachment).ok);
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

TEST_P(Injected, DisabledPodGetsNothing) {
  json a = annotations();
  a["kuma.io/transparent-proxying"] = "disabled";
  f_->api().addPod(makePod("shop", "off", true, a));
  auto pod = f_->pod("shop", "off");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe();
  EXPECT_EQ(anyState(*pod.ns).find("KUMA_MESH"), std::string::npos);
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

TEST_P(Injected, InvalidAnnotationsFailAddWithCode7) {
  json a = annotations();
  a["traffic.kuma.io/exclude-outbound-ports"] = "99999";
  f_->api().addPod(makePod("shop", "bad", true, a));
  auto pod = f_->pod("shop", "bad");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_FALSE(add.ok);
  EXPECT_EQ(add.error()["code"], 7) << add.describe();
  EXPECT_NE(add.error()["details"].get<std::string>().find("99999"), std::string::npos);
  EXPECT_EQ(anyState(*pod.ns).find("KUMA_MESH"), std::string::npos);
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, Injected,
    ::testing::Values(
        BackendCase{"iptables", json::object()},
        BackendCase{"nftables", {{"kuma.io/transparent-proxying-experimental-engine", "enabled"}}}),
    [](const ::testing::TestParamInfo<BackendCase>& p) { return p.param.name; });

}  // namespace
}  // namespace kt::cni::test
