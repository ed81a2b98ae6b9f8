// Race repair: `kuma-tproxy cni-install` in the chain fixture's node namespace, listing the pods
// of its node from the stub API server, finds pod namespaces that lack interception and installs
// it in place. Pod namespaces are real (the bridge chain gives them their address), interception
// is checked with real packets (the e2e harness's fake sidecar) or with the plugin's CHECK, and
// everything that must stay untouched is compared rule for rule before and after.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "chain_fixture.h"
#include "expect.h"
#include "harness/scenario.h"
#include "harness/tool.h"

namespace kt::cni::test {
namespace {

using nlohmann::json;
namespace e2e = kt::e2e;
using namespace std::chrono_literals;

constexpr auto kInterval = 200ms;

std::string nodeName() {
  return "kt-node-" + std::to_string(::getpid());
}

// A pod object on `node` with the given address in status.podIPs.
json podOn(const std::string& ns, const std::string& name, bool injected, const std::string& node,
           const std::string& ip, const json& annotations = json::object()) {
  json pod = makePod(ns, name, injected, annotations);
  pod["spec"]["nodeName"] = node;
  pod["status"]["podIPs"] = json::array({{{"ip", ip}}});
  pod["status"]["phase"] = "Running";
  return pod;
}

// The pod's address from a chain result.
std::string addressOf(const json& result) {
  std::string cidr = result["ips"][0]["address"];
  return cidr.substr(0, cidr.find('/'));
}

// Every rule of the namespace, comparable before/after (no comment lines, no counters).
std::string rulesOf(const Netns& ns) {
  std::string all;
  for (std::vector<std::string> tool :
       {std::vector<std::string>{"iptables-save"}, std::vector<std::string>{"ip6tables-save"},
        std::vector<std::string>{"nft", "list", "ruleset"}}) {
    std::string out;
    runTool(tool, &out, ns.fd());
    std::istringstream in(out);
    all += "== " + tool[0] + "\n";
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == '#') continue;
      all += std::regex_replace(line, std::regex(R"(\[\d+:\d+\])"), "[0:0]") + "\n";
    }
  }
  return all;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}

class Repair : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: network namespaces, bridge, rules";
    f_ = std::make_unique<ChainFixture>("1.0.0");
    ASSERT_TRUE(f_->ok()) << f_->whyNot();
    spit(f_->tmp() / "sa-token", kApiToken);
    ::mkdir((f_->tmp() / "net.d").c_str(), 0755);
    ::mkdir((f_->tmp() / "install-bin").c_str(), 0755);
  }
  void TearDown() override {
    if (installer_) {
      installer_->signal(SIGTERM);
      (void)installer_->wait(20s);
    }
  }

  // Starts the installer (standalone configuration, so it needs no primary file) in the node
  // namespace, with the fixture's lock and state directories so ADD and repair share locks.
  void startInstaller(std::vector<std::pair<std::string, std::string>> extra = {}) {
    json conf = {{"cniVersion", "1.0.0"},
                 {"name", "kuma-cni"},
                 {"type", "kuma-cni"},
                 {"lock_dir", f_->tmp() / "locks"},
                 {"state_dir", f_->tmp() / "state"},
                 {"kubernetes",
                  {{"kubeconfig", "__KUBECONFIG_FILEPATH__"},
                   {"exclude_namespaces", {"kube-system"}},
                   {"api_timeout_ms", 5000}}}};
    ChildOptions o;
    o.argv = {KT_TPROXY_BINARY, "cni-install"};
    o.env = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
             {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
             {"KUBERNETES_SERVICE_PORT", std::to_string(f_->api().port())},
             {"CNI_NET_DIR", f_->tmp() / "net.d"},
             {"MOUNTED_CNI_NET_DIR", f_->tmp() / "net.d"},
             {"CHAINED_CNI_PLUGIN", "false"},
             {"CNI_NETWORK_CONFIG", conf.dump()},
             {"MOUNTED_CNI_BIN_DIR", f_->tmp() / "install-bin"},
             {"MOUNTED_CNI_SECONDARY_BIN_DIR", f_->tmp() / "no-such-dir"},
             {"KUBE_CA_FILE", f_->pki().caCert},
             {"KUBE_TOKEN_FILE", f_->tmp() / "sa-token"},
             {"READY_FILE", f_->tmp() / "ready"},
             {"CNI_PLUGIN_SOURCE", KT_TPROXY_BINARY},
             {"CNI_LOG_LEVEL", "debug"},
             {"NODE_NAME", nodeName()},
             {"REPAIR_INTERVAL", "200ms"},
             // The node namespace is the test's own: the default port cannot clash.
             {"METRICS_ADDR", "127.0.0.1:15014"}};
    for (auto& kv : extra) {
      std::erase_if(o.env, [&](const auto& e) { return e.first == kv.first; });
      o.env.push_back(kv);
    }
    o.stderrFile = f_->tmp() / "installer.log";
    o.netnsFd = f_->node().fd();
    installer_ = std::make_unique<Child>(o);
  }
  std::string log() const { return slurp(f_->tmp() / "installer.log"); }
  bool ready() const { return ::access((f_->tmp() / "ready").c_str(), F_OK) == 0; }
  // The value of `name` on the metrics endpoint (-1 when it cannot be read).
  double metric(const std::string& name) const {
    std::string out;
    int rc = runTool({"/usr/bin/python3", "-c",
                      "import urllib.request;print(urllib.request.urlopen("
                      "'http://127.0.0.1:15014/metrics',timeout=5).read().decode())"},
                     &out, f_->node().fd());
    if (rc != 0) return -1;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    return -1;
  }
  // Completed passes so far (the debug line each pass ends with).
  size_t passes() const { return count(log(), "repair: pass "); }
  size_t listRequests() const {
    size_t n = 0;
    for (const auto& r : f_->api().requests())
      if (r["path"].get<std::string>().rfind("/api/v1/pods?", 0) == 0) ++n;
    return n;
  }
  // Waits until `n` more passes than now have completed.
  void waitPasses(size_t n) {
    size_t start = passes();
    ASSERT_TRUE(waitFor([&] { return passes() >= start + n; }, 20s)) << log();
  }

  // A pod namespace attached by the chain without kuma-cni (the race).
  struct Attached {
    ChainFixture::Pod pod;
    std::string ip;
  };
  Attached attachWithoutKuma(const std::string& ns, const std::string& name) {
    Attached a{f_->pod(ns, name), ""};
    auto add = f_->runtimeWithoutKuma().add(a.pod.attachment);
    EXPECT_TRUE(add.ok) << add.describe();
    if (add.ok) a.ip = addressOf(add.result);
    return a;
  }

  std::unique_ptr<ChainFixture> f_;
  std::unique_ptr<Child> installer_;
};

TEST_F(Repair, PodStartedBeforeTheChainIsInterceptedWithinTwoIntervals) {
  auto web = attachWithoutKuma("shop", "web");
  ASSERT_FALSE(web.ip.empty());
  f_->api().addPod(podOn("shop", "web", true, nodeName(), web.ip));
  std::string before = rulesOf(*web.pod.ns);
  ASSERT_EQ(before.find("KUMA_MESH"), std::string::npos) << before;

  startInstaller();
  ASSERT_TRUE(waitFor([&] { return passes() >= 2; }, 20s)) << log();
  // Repaired by the first or second pass.
  EXPECT_EQ(count(log(), "repair: shop/web in " + runtimePath(*web.pod.ns)), 1u) << log();

  IpAddress podIp = IpAddress::parse(web.ip).value();
  IpAddress gateway = IpAddress::parse(f_->subnetPrefix() + "1").value();
  e2e::Placement node{"", f_->node().path(), std::nullopt, std::nullopt};
  e2e::Placement app{"", web.pod.ns->path(), e2e::kAppUid, e2e::kAppUid};
  e2e::Placement sidecar{"", web.pod.ns->path(), e2e::kSidecarUid, e2e::kSidecarUid};
  auto peerServer = e2e::startServer(node, "peer", {e2e::kPeerPort});
  ASSERT_TRUE(peerServer.ok()) << peerServer.error().message();
  auto appServer = e2e::startServer(app, "app", {e2e::kAppPort});
  ASSERT_TRUE(appServer.ok()) << appServer.error().message();
  auto fakeSidecar = e2e::startSidecar(sidecar, {});
  ASSERT_TRUE(fakeSidecar.ok()) << fakeSidecar.error().message();
  auto gw = e2e::ep(gateway, e2e::kPeerPort);
  EXPECT_TRUE(e2e::landsOnSidecar(e2e::connectFrom(app, gw), e2e::kOutboundPort, gw));
  EXPECT_TRUE(e2e::reachesServer(e2e::connectFrom(sidecar, gw), "peer", e2e::kPeerPort));
  auto in = e2e::ep(podIp, e2e::kAppPort);
  EXPECT_TRUE(e2e::landsOnSidecar(e2e::connectFrom(node, in), e2e::kInboundPort, in));

  // Later passes find it intact: still exactly one repair, logged and counted.
  waitPasses(2);
  EXPECT_EQ(count(log(), "repair: shop/web in "), 1u) << log();
  EXPECT_TRUE(ready());
  EXPECT_EQ(metric("kuma_cni_repair_repairs_total"), 1) << log();
  EXPECT_EQ(metric("kuma_cni_install_ready"), 1);
  EXPECT_GE(metric("kuma_cni_repair_pods_checked_total"), 3);
  EXPECT_EQ(metric("kuma_cni_repair_failures_total"), 0);
  EXPECT_GT(metric("kuma_cni_repair_last_reconcile_duration_seconds"), 0);
}

// A namespace with no name in /var/run/netns, kept alive only by a process of another uid (as a
// runtime's pause process holds a sandbox): found through /proc/<pid>/ns/net and repaired there.
TEST_F(Repair, NamespaceHeldOnlyByAProcessIsFoundThroughProc) {
  auto hidden = attachWithoutKuma("shop", "hidden");
  ASSERT_FALSE(hidden.ip.empty());
  ChildOptions o;
  o.argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups",   "/bin/sleep",    "120"};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  o.netnsFd = hidden.pod.ns->fd();
  Child holder(o);
  std::string procPath = "/proc/" + std::to_string(holder.pid()) + "/ns/net";
  int fd = -1;
  ASSERT_TRUE(waitFor([&] {
    struct stat a {
    }, b{};
    return ::stat(procPath.c_str(), &a) == 0 && ::fstat(hidden.pod.ns->fd(), &b) == 0 &&
           a.st_ino == b.st_ino;
  }));
  fd = ::open(procPath.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  hidden.pod.ns->remove();  // the name goes; the process keeps the namespace
  f_->api().addPod(podOn("shop", "hidden", true, nodeName(), hidden.ip));

  startInstaller();
  ASSERT_TRUE(waitFor([&] { return passes() >= 2; }, 20s)) << log();
  EXPECT_EQ(count(log(), "repair: shop/hidden in " + procPath), 1u) << log();
  std::string rules;
  runTool({"iptables-save"}, &rules, fd);
  EXPECT_NE(rules.find(":KUMA_MESH_OUTBOUND"), std::string::npos) << rules;
  ::close(fd);
}

TEST_F(Repair, RulesFlushedAfterAddAreRepaired) {
  f_->api().addPod(makePod("shop", "api", true));  // ADD reads it by name
  auto pod = f_->pod("shop", "api");
  auto add = f_->runtime().add(pod.attachment);
  ASSERT_TRUE(add.ok) << add.describe() << f_->kumaLog();
  f_->api().addPod(podOn("shop", "api", true, nodeName(), addressOf(add.result)));
  ASSERT_TRUE(f_->runtime().check(pod.attachment).ok);

  startInstaller();
  waitPasses(1);
  EXPECT_EQ(count(log(), "repair: shop/api in "), 0u) << "intact, nothing to do\n" << log();

  ASSERT_EQ(runTool({"iptables", "-t", "nat", "-F"}, nullptr, pod.ns->fd()), 0);
  ASSERT_FALSE(f_->runtime().check(pod.attachment).ok);
  waitPasses(2);
  EXPECT_EQ(count(log(), "repair: shop/api in " + runtimePath(*pod.ns)), 1u) << log();
  auto check = f_->runtime().check(pod.attachment);
  EXPECT_TRUE(check.ok) << check.describe() << log();
  EXPECT_TRUE(f_->runtime().del(pod.attachment).ok);
}

TEST_F(Repair, LeavesEverythingElseUntouched) {
  // Same node but not meshed, excluded namespace, another node, and a namespace whose address
  // no listed pod has.
  auto plain = attachWithoutKuma("shop", "plain");
  auto system = attachWithoutKuma("kube-system", "dns");
  auto elsewhere = attachWithoutKuma("shop", "elsewhere");
  auto stray = attachWithoutKuma("shop", "stray");
  for (auto* a : {&plain, &system, &elsewhere, &stray})
    ASSERT_FALSE(a->ip.empty());
  f_->api().addPod(podOn("shop", "plain", false, nodeName(), plain.ip));
  f_->api().addPod(podOn("kube-system", "dns", true, nodeName(), system.ip));
  f_->api().addPod(podOn("shop", "elsewhere", true, "another-node", elsewhere.ip));
  // The stray namespace's pod is listed with another address (TEST-NET-1, on no machine's
  // interface): the namespace's own address matches no listed pod.
  f_->api().addPod(podOn("shop", "stray", true, nodeName(), "192.0.2.77"));
  std::vector<std::string> before;
  for (auto* a : {&plain, &system, &elsewhere, &stray})
    before.push_back(rulesOf(*a->pod.ns));
  std::string nodeBefore = rulesOf(f_->node());

  startInstaller();
  waitPasses(3);
  size_t i = 0;
  for (auto* a : {&plain, &system, &elsewhere, &stray})
    EXPECT_EQ(rulesOf(*a->pod.ns), before[i++]) << a->pod.ns->name();
  EXPECT_EQ(rulesOf(f_->node()), nodeBefore);
  EXPECT_EQ(count(log(), "interception installed"), 0u) << log();
}

TEST_F(Repair, RepairRacingAddLeavesOneRuleset) {
  f_->api().addPod(makePod("shop", "race", true));
  auto pod = f_->pod("shop", "race");
  // Attach without kuma-cni first so the namespace has its address, then run kuma-cni's ADD
  // while the installer's first passes run.
  auto plainAdd = f_->runtimeWithoutKuma().add(pod.attachment);
  ASSERT_TRUE(plainAdd.ok) << plainAdd.describe();
  f_->api().addPod(podOn("shop", "race", true, nodeName(), addressOf(plainAdd.result)));
  startInstaller();
  json conf = f_->kumaConf(plainAdd.result);
  for (int i = 0; i < 5; ++i) {
    auto add = f_->runtime().invoke("kuma-cni", "ADD", conf.dump(), pod.attachment);
    EXPECT_EQ(add.exitCode, 0) << add.out << add.err << f_->kumaLog();
    std::this_thread::sleep_for(std::chrono::milliseconds(37 * i));
  }
  waitPasses(2);
  auto check = f_->runtime().invoke("kuma-cni", "CHECK", conf.dump(), pod.attachment);
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
  std::string rules = rulesOf(*pod.ns);
  // One jump into our chains per family (IPv4 and IPv6), not two layers.
  EXPECT_EQ(count(rules, "output/outbound\" -j KUMA_MESH_OUTBOUND"), 2u) << rules;
  EXPECT_EQ(count(rules, "KUMA_MESH_OUTBOUND -m comment"), 2u) << rules;
  EXPECT_EQ(count(log(), "repair: shop/race in " + runtimePath(*pod.ns) + ": "), 0u)
      << "no repair error\n"
      << log();
}

TEST_F(Repair, ApiErrorsBackOffAndChangeNothing) {
  auto web = attachWithoutKuma("shop", "web");
  ASSERT_FALSE(web.ip.empty());
  f_->api().addPod(podOn("shop", "web", true, nodeName(), web.ip));
  f_->api().setListBehaviour({{"status", 503}});
  std::string before = rulesOf(*web.pod.ns);

  startInstaller();
  ASSERT_TRUE(waitFor([&] { return count(log(), "listing this node's pods") >= 3; }, 20s)) << log();
  EXPECT_NE(log().find("next pass in"), std::string::npos) << log();
  EXPECT_TRUE(ready()) << log();
  EXPECT_EQ(metric("kuma_cni_install_ready"), 1);
  EXPECT_GE(metric("kuma_cni_repair_failures_total"), 3);
  EXPECT_EQ(metric("kuma_cni_repair_repairs_total"), 0);
  EXPECT_EQ(rulesOf(*web.pod.ns), before);
  // Backing off: over 2 s at a 200 ms interval, far fewer lists than passes would take.
  size_t atStart = listRequests();
  std::this_thread::sleep_for(2s);
  EXPECT_LT(listRequests() - atStart, 6u);

  // The API server recovers: the next pass repairs.
  f_->api().setListBehaviour(json::object());
  ASSERT_TRUE(waitFor([&] { return count(log(), "repair: shop/web in ") == 1; }, 30s)) << log();
}

TEST_F(Repair, FiftyPodsOneListPerPass) {
  constexpr int kPods = 50;
  std::vector<Attached> pods;
  for (int i = 0; i < kPods; ++i) {
    pods.push_back(attachWithoutKuma("shop", "p" + std::to_string(i)));
    ASSERT_FALSE(pods.back().ip.empty());
    f_->api().addPod(podOn("shop", "p" + std::to_string(i), true, nodeName(), pods.back().ip));
  }
  startInstaller();
  ASSERT_TRUE(waitFor([&] { return count(log(), "interception installed") >= kPods; }, 60s))
      << log();
  for (int i = 0; i < kPods; ++i)
    EXPECT_EQ(count(log(), "repair: shop/p" + std::to_string(i) + " in "), 1u) << i;
  // One list per pass (the pass in flight may have listed already).
  size_t n = passes();
  size_t lists = listRequests();
  EXPECT_GE(lists, n);
  EXPECT_LE(lists, n + 1);
  // The pass durations, for docs/cni.md.
  std::istringstream lines(log());
  for (std::string line; std::getline(lines, line);)
    if (line.find("repair: pass ") != std::string::npos) std::cout << line << "\n";
}

}  // namespace
}  // namespace kt::cni::test
