// Real packets through a pod set up by the plugin chain: the e2e harness's fake sidecar and
// servers (tests/e2e) in the pod and node namespaces of the chain fixture. The node namespace is
// the peer: it owns the bridge, whose gateway address is the destination of outbound traffic.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chain_fixture.h"
#include "expect.h"
#include "harness/scenario.h"
#include "harness/tool.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;
namespace e2e = kt::e2e;

struct TrafficCase {
  std::string name;
  json annotations;
};

class ChainTraffic : public ::testing::TestWithParam<TrafficCase> {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: network namespaces, bridge, rules";
    f_ = std::make_unique<ChainFixture>("1.0.0");
    ASSERT_TRUE(f_->ok()) << f_->whyNot();
  }
  std::unique_ptr<ChainFixture> f_;
};

TEST_P(ChainTraffic, PodSetUpByTheChainIsIntercepted) {
  json annotations = {{"traffic.kuma.io/exclude-outbound-ports", "9090"},
                      {"traffic.kuma.io/exclude-inbound-ports", "8081"},
                      {"kuma.io/builtin-dns", "enabled"}};
  annotations.update(GetParam().annotations);
  f_->api().addPod(makePod("shop", "web", true, annotations));
  auto pod = f_->pod("shop", "web");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe() << f_->kumaLog();

  std::string podCidr = add.result["ips"][0]["address"];
  IpAddress podIp = IpAddress::parse(podCidr.substr(0, podCidr.find('/'))).value();
  IpAddress gateway = IpAddress::parse(f_->subnetPrefix() + "1").value();

  e2e::Placement node{"", f_->node().path(), std::nullopt, std::nullopt};
  e2e::Placement app{"", pod.ns->path(), e2e::kAppUid, e2e::kAppUid};
  e2e::Placement sidecar{"", pod.ns->path(), e2e::kSidecarUid, e2e::kSidecarUid};

  auto peerServer =
      e2e::startServer(node, "peer", {e2e::kPeerPort, e2e::kExcludedOutboundPort}, e2e::kDnsPort);
  ASSERT_TRUE(peerServer.ok()) << peerServer.error().message();
  auto appServer = e2e::startServer(app, "app", {e2e::kAppPort, e2e::kExcludedInboundPort});
  ASSERT_TRUE(appServer.ok()) << appServer.error().message();
  auto fakeSidecar = e2e::startSidecar(sidecar, {});
  ASSERT_TRUE(fakeSidecar.ok()) << fakeSidecar.error().message();

  auto gw = [&](uint16_t port) { return e2e::ep(gateway, port); };
  auto podEp = [&](uint16_t port) { return e2e::ep(podIp, port); };

  // Outbound: the application lands on the sidecar with the original destination; the
  // sidecar's own uid and the excluded port go straight to the peer.
  EXPECT_TRUE(e2e::landsOnSidecar(e2e::connectFrom(app, gw(e2e::kPeerPort)), e2e::kOutboundPort,
                                  gw(e2e::kPeerPort)));
  EXPECT_TRUE(
      e2e::reachesServer(e2e::connectFrom(sidecar, gw(e2e::kPeerPort)), "peer", e2e::kPeerPort));
  EXPECT_TRUE(e2e::reachesServer(e2e::connectFrom(app, gw(e2e::kExcludedOutboundPort)), "peer",
                                 e2e::kExcludedOutboundPort));
  // Inbound: from the node to the pod lands on the inbound port; the excluded port reaches the
  // application.
  EXPECT_TRUE(e2e::landsOnSidecar(e2e::connectFrom(node, podEp(e2e::kAppPort)), e2e::kInboundPort,
                                  podEp(e2e::kAppPort)));
  EXPECT_TRUE(e2e::reachesServer(e2e::connectFrom(node, podEp(e2e::kExcludedInboundPort)), "app",
                                 e2e::kExcludedInboundPort));
  // DNS (kuma.io/builtin-dns: capture-all): the application's query is answered by the
  // sidecar's DNS proxy, the sidecar's own query by the real resolver.
  EXPECT_TRUE(e2e::answeredWith(e2e::queryDnsFrom(app, gw(e2e::kDnsPort)), e2e::kSidecarAnswerV4,
                                gw(e2e::kDnsPort)));
  EXPECT_TRUE(e2e::answeredWith(e2e::queryDnsFrom(sidecar, gw(e2e::kDnsPort)), e2e::kPeerAnswerV4,
                                gw(e2e::kDnsPort)));

  // kuma-cni's DEL alone (the interface stays): everything goes direct again.
  json conf = {{"cniVersion", "1.0.0"},
               {"name", "kt-cni-test"},
               {"type", "kuma-cni"},
               {"lock_dir", f_->tmp() / "locks"},
               {"state_dir", f_->tmp() / "state"},
               {"prevResult", add.result}};
  auto del = f_->runtime().invoke("kuma-cni", "DEL", conf.dump(), pod.attachment);
  ASSERT_EQ(del.exitCode, 0) << del.out << del.err;
  EXPECT_TRUE(
      e2e::reachesServer(e2e::connectFrom(app, gw(e2e::kPeerPort)), "peer", e2e::kPeerPort));
  EXPECT_TRUE(
      e2e::reachesServer(e2e::connectFrom(node, podEp(e2e::kAppPort)), "app", e2e::kAppPort));
  EXPECT_TRUE(e2e::answeredWith(e2e::queryDnsFrom(app, gw(e2e::kDnsPort)), e2e::kPeerAnswerV4,
                                gw(e2e::kDnsPort)));

  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ChainTraffic,
    ::testing::Values(
        TrafficCase{"iptables", json::object()},
        TrafficCase{"nftables", {{"kuma.io/transparent-proxying-experimental-engine", "enabled"}}}),
    [](const ::testing::TestParamInfo<TrafficCase>& p) { return p.param.name; });

}  // namespace
}  // namespace kt::cni::test
