// The plugin protocol driven in-process: everything that needs neither root nor an API server.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "cni/plugin.h"
#include "env_lookup.h"

namespace kt::cni {
namespace {

using nlohmann::json;

std::map<std::string, std::string> env(const std::string& command, const std::string& args = "") {
  return {{"CNI_COMMAND", command},           {"CNI_CONTAINERID", "abc123"},
          {"CNI_NETNS", "/proc/self/ns/net"}, {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin"},       {"CNI_ARGS", args}};
}

const json kPrev = json::parse(R"({"cniVersion":"1.0.0",
  "interfaces":[{"name":"eth0","sandbox":"/var/run/netns/x"}],
  "ips":[{"address":"10.22.0.7/16","gateway":"10.22.0.1","interface":0}]})");

std::string conf(const std::string& version, const json& extra = json::object()) {
  json c = {{"cniVersion", version}, {"name", "net"}, {"type", "kuma-cni"}, {"log_level", "error"}};
  c.update(extra);
  return c.dump();
}

json errorOf(const Outcome& o) {
  EXPECT_EQ(o.exitCode, 1);
  return json::parse(o.out);
}

TEST(Plugin, VersionListsTheVersions) {
  auto o = handle({envOf({{"CNI_COMMAND", "VERSION"}}), ""});
  EXPECT_EQ(o.exitCode, 0);
  json j = json::parse(o.out);
  EXPECT_EQ(j["cniVersion"], "1.1.0");
  EXPECT_EQ(j["supportedVersions"], json({"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}));
}

TEST(Plugin, ErrorCodes) {
  // Malformed stdin: 6.
  auto bad = errorOf(handle({envOf(env("ADD")), "{not json"}));
  EXPECT_EQ(bad["code"], 6);
  EXPECT_EQ(bad["msg"], "failed to decode content");
  EXPECT_TRUE(bad["details"].is_string());
  // Unknown cniVersion: 1.
  EXPECT_EQ(errorOf(handle({envOf(env("ADD")), conf("0.9.9")}))["code"], 1);
  // Missing cniVersion: 1 as well (libcni reads it as 0.1.0).
  EXPECT_EQ(errorOf(handle({envOf(env("ADD")), R"({"name":"n","type":"kuma-cni"})"}))["code"], 1);
  // Missing variables: 4.
  auto noNetns = env("ADD");
  noNetns.erase("CNI_NETNS");
  auto e4 = errorOf(handle({envOf(noNetns), conf("1.0.0")}));
  EXPECT_EQ(e4["code"], 4);
  EXPECT_NE(e4["details"].get<std::string>().find("CNI_NETNS"), std::string::npos);
  EXPECT_EQ(errorOf(handle({envOf({}), conf("1.0.0")}))["code"], 4);
  // Invalid network configuration: 7.
  EXPECT_EQ(
      errorOf(handle({envOf(env("ADD")), R"({"cniVersion":"1.0.0","type":"kuma-cni"})"}))["code"],
      7);
  // CHECK needs 0.4.0, STATUS 1.1.0: 1.
  EXPECT_EQ(errorOf(handle({envOf(env("CHECK")), conf("0.3.1")}))["code"], 1);
  EXPECT_EQ(errorOf(handle({envOf(env("STATUS")), conf("1.0.0")}))["code"], 1);
  // A malformed prevResult: 6.
  EXPECT_EQ(
      errorOf(handle({envOf(env("ADD")),
                      conf("1.0.0", {{"prevResult", {{"ips", {{{"address", "x"}}}}}}})}))["code"],
      6);
}

TEST(Plugin, ErrorObjectUsesTheRequestVersion) {
  auto j = errorOf(
      handle({envOf(env("ADD", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web")), conf("0.4.0")}));
  EXPECT_EQ(j["cniVersion"], "0.4.0");
  EXPECT_EQ(j["code"], 7);  // no kubernetes.kubeconfig for a Kubernetes pod
}

TEST(Plugin, AddPassesPrevResultThroughForPodsWeSkip) {
  // Not a Kubernetes pod (no K8S_POD_* args): passed through without touching the API.
  for (const char* version : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    auto o = handle({envOf(env("ADD")), conf(version, {{"prevResult", kPrev}})});
    ASSERT_EQ(o.exitCode, 0) << o.out;
    json out = json::parse(o.out);
    EXPECT_EQ(out["cniVersion"], version);
    EXPECT_EQ(out["ips"][0]["address"], "10.22.0.7/16");
    EXPECT_EQ(out["ips"][0].contains("version"), version[0] == '0') << version;
  }
  // An excluded namespace: passed through before any kubeconfig is needed.
  auto o = handle({envOf(env("ADD", "K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-1")),
                   conf("1.0.0", {{"prevResult", kPrev},
                                  {"kubernetes", {{"exclude_namespaces", {"kube-system"}}}}})});
  ASSERT_EQ(o.exitCode, 0) << o.out;
  json expected = kPrev;
  expected["dns"] = json::object();  // always present in results, as libcni prints them
  EXPECT_EQ(json::parse(o.out), expected);
  // Standalone ADD (no prevResult): an empty result.
  auto standalone = handle({envOf(env("ADD")), conf("1.0.0")});
  EXPECT_EQ(standalone.exitCode, 0);
  EXPECT_EQ(json::parse(standalone.out), json::parse(R"({"cniVersion":"1.0.0","dns":{}})"));
}

TEST(Plugin, MissingKubeconfigIsTryAgainLater) {
  auto o =
      handle({envOf(env("ADD", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web")),
              conf("1.0.0", {{"kubernetes", {{"kubeconfig", "/nonexistent/kt-kubeconfig"}}}})});
  auto j = errorOf(o);
  EXPECT_EQ(j["code"], 11);
  EXPECT_NE(j["details"].get<std::string>().find("installer"), std::string::npos);
}

TEST(Plugin, DelWithoutOrWithVanishedNetnsSucceeds) {
  auto noNetns = env("DEL");
  noNetns.erase("CNI_NETNS");
  auto o = handle({envOf(noNetns), conf("1.0.0")});
  EXPECT_EQ(o.exitCode, 0);
  EXPECT_EQ(o.out, "");
  auto gone = env("DEL");
  gone["CNI_NETNS"] = "/var/run/netns/kt-cni-never-existed";
  auto o2 = handle({envOf(gone), conf("0.3.0")});
  EXPECT_EQ(o2.exitCode, 0) << o2.out;
  EXPECT_EQ(o2.out, "");
}

TEST(Plugin, StatusAndGc) {
  auto status = errorOf(handle({envOf({{"CNI_COMMAND", "STATUS"}}), conf("1.1.0")}));
  EXPECT_EQ(status["code"], 50);
  auto gc = handle({envOf({{"CNI_COMMAND", "GC"}}), conf("1.1.0")});
  EXPECT_EQ(gc.exitCode, 0);
  EXPECT_EQ(gc.out, "");
}

}  // namespace
}  // namespace kt::cni

namespace kt::cni {
namespace {

// Hostile values in every field the plugin reads: the answer is always exactly one JSON document
// on stdout (a result or an error object) and no value is echoed raw into an error message.
TEST(PluginHostileInput, EveryFieldEveryValue) {
  const std::string big(1 << 20, 'A');
  const std::vector<std::string> hostile = {"line\nbreak",
                                            "# comment",
                                            "\"quoted\"",
                                            "-A OUTPUT -j ACCEPT",
                                            std::string("nul\0x", 5),
                                            "$(reboot); `id` | &",
                                            "../../../etc/shadow",
                                            big,
                                            "\xff\xfe invalid utf8"};
  for (const auto& h : hostile) {
    std::vector<std::pair<std::string, json>> confs;
    auto base = [] {
      return json{
          {"cniVersion", "1.0.0"}, {"name", "n"}, {"type", "kuma-cni"}, {"log_level", "off"}};
    };
    for (const char* field : {"name", "type", "log_level", "lock_dir", "cniVersion"}) {
      json c = base();
      c[field] = h;
      confs.emplace_back(field, c);
    }
    json k = base();
    k["kubernetes"] = {{"kubeconfig", h}, {"exclude_namespaces", {h}}};
    confs.emplace_back("kubernetes", k);
    for (const auto& [field, c] : confs) {
      std::string text = c.dump(-1, ' ', false, json::error_handler_t::replace);
      for (const std::string& args :
           {std::string("K8S_POD_NAMESPACE=default;K8S_POD_NAME=") + h,
            std::string("K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=a")}) {
        auto e = env("ADD", args);
        auto o = handle({envOf(e), text});
        SCOPED_TRACE(field + " = " + h.substr(0, 40));
        ASSERT_TRUE(o.exitCode == 0 || o.exitCode == 1);
        ASSERT_FALSE(o.out.empty());
        EXPECT_EQ(o.out.find('\n'), o.out.size() - 1) << "one line of JSON";
        json parsed = json::parse(o.out, nullptr, false);
        ASSERT_FALSE(parsed.is_discarded()) << o.out.substr(0, 200);
        if (o.exitCode == 1) {
          std::string details = parsed.value("details", "");
          EXPECT_EQ(details.find('\n'), std::string::npos) << details.substr(0, 200);
          EXPECT_LT(details.size(), 4096u) << "values are shortened in messages";
        }
      }
    }
  }
}

}  // namespace
}  // namespace kt::cni
