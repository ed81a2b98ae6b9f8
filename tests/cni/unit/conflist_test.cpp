#include <gtest/gtest.h>

#include "cni/install/conflist.h"
#include "cni/install/json_text.h"

namespace kt::cni {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const ordered_json kOurs = ordered_json::parse(
    R"({"name":"kuma-cni","type":"kuma-cni","log_level":"info","kubernetes":{"kubeconfig":"/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig","exclude_namespaces":["kube-system"]}})");

// Conflists as different tools write them: indented with 2 and 4 spaces, tabs, CRLF, compact,
// a single plugin, odd spacing, escaped keys and numbers we must not re-spell.
const char* kConflists[] = {
    R"({
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": "info",
      "mtu": 1.50e3,
      "ipam": {"type": "calico-ipam"}
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {"portMappings": true}
    }
  ]
}
)",
    "{\n    \"cniVersion\": \"1.0.0\",\n    \"name\": \"cbr0\",\n    \"plugins\": [\n        {\n"
    "            \"type\": \"flannel\",\n            \"delegate\": {\"hairpinMode\": true}\n"
    "        }\n    ]\n}\n",
    "{\n\t\"cniVersion\": \"0.4.0\",\n\t\"name\": \"tabbed\",\n\t\"plugins\": [\n\t\t{\n"
    "\t\t\t\"type\": \"bridge\"\n\t\t},\n\t\t{\n\t\t\t\"type\": \"loopback\"\n\t\t}\n\t]\n}",
    "{\r\n  \"cniVersion\": \"0.3.1\",\r\n  \"name\": \"crlf\",\r\n  \"plugins\": [\r\n"
    "    {\r\n      \"type\": \"ptp\"\r\n    }\r\n  ]\r\n}\r\n",
    R"({"cniVersion":"0.3.1","name":"compact","plugins":[{"type":"cilium-cni"},{"type":"portmap"}]})",
    R"({ "cniVersion" : "0.3.1" , "plugins" : [ { "type" : "a" } , { "type" : "b" } ] , "name" : "spaced" })",
    R"({"cniVersion":"0.3.1","name":"empty","plugins":[]})",
    R"({"cniVersion":"0.3.1","name":"esc\u0041ped","plug\u0069ns":[{"type":"x","v":1e-7}],"plugins":[{"type":"real"}]})",
};

TEST(JsonText, FindsSpans) {
  std::string text = R"( {"a": [1, {"b": "x\"y"}, []], "c": true } )";
  auto root = rootValue(text);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(text.substr(root->begin, root->end - root->begin), text.substr(1, text.size() - 2));
  auto a = findMember(text, *root, "a");
  ASSERT_TRUE(a.ok() && a->has_value());
  auto elems = arrayElements(text, **a);
  ASSERT_TRUE(elems.ok());
  ASSERT_EQ(elems->size(), 3u);
  EXPECT_EQ(text.substr((*elems)[1].begin, (*elems)[1].end - (*elems)[1].begin),
            R"({"b": "x\"y"})");
  auto missing = findMember(text, *root, "zz");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(JsonText, NeverReadsPastTheEnd) {
  for (const char* bad :
       {"", "{", "[", "{\"a\"", "{\"a\":", "[1,", "\"abc", "{\"a\":1,}", "[1 2]", "{} x"}) {
    EXPECT_FALSE(rootValue(bad).ok()) << bad;
  }
  std::string deep(2000, '[');
  EXPECT_FALSE(rootValue(deep).ok());
}

TEST(Conflist, ChainThenUnchainRestoresEveryByte) {
  for (const char* original : kConflists) {
    SCOPED_TRACE(original);
    auto chained = chainIntoConflist(original, kOurs);
    ASSERT_TRUE(chained.ok()) << chained.error().message();
    EXPECT_NE(*chained, original);
    // Valid JSON with our entry last and everything else unchanged.
    json doc = json::parse(*chained);
    json before = json::parse(original);
    ASSERT_EQ(doc["plugins"].size(), before["plugins"].size() + 1);
    EXPECT_EQ(doc["plugins"].back(), json(kOurs));
    doc["plugins"].erase(doc["plugins"].size() - 1);
    EXPECT_EQ(doc, before);
    auto state = chainState(*chained, kOurs);
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(*state, ChainState::kCurrent);
    // Chaining again changes nothing.
    EXPECT_EQ(*chainIntoConflist(*chained, kOurs), *chained);
    auto restored = unchainFromConflist(*chained);
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(*restored, original);
  }
}

TEST(Conflist, OurEntryFollowsTheLayout) {
  auto chained = chainIntoConflist(kConflists[0], kOurs);
  ASSERT_TRUE(chained.ok());
  EXPECT_NE(
      chained->find("    },\n    {\n      \"name\": \"kuma-cni\",\n      \"type\": \"kuma-cni\""),
      std::string::npos)
      << *chained;
  auto crlf = chainIntoConflist(kConflists[3], kOurs);
  ASSERT_TRUE(crlf.ok());
  for (size_t i = 0; i < crlf->size(); ++i) {
    if ((*crlf)[i] == '\n') {
      EXPECT_EQ((*crlf)[i - 1], '\r') << "bare LF at " << i;
    }
  }
  auto compact = chainIntoConflist(kConflists[4], kOurs);
  ASSERT_TRUE(compact.ok());
  EXPECT_EQ(compact->find('\n'), std::string::npos);
}

TEST(Conflist, ReplacesAnOldEntry) {
  std::string old = R"({"cniVersion":"0.3.1","name":"n","plugins":[{"type":"calico"},)"
                    R"({"type":"kuma-cni","log_level":"debug"},{"type":"portmap"}]})";
  auto state = chainState(old, kOurs);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, ChainState::kStale);
  auto chained = chainIntoConflist(old, kOurs);
  ASSERT_TRUE(chained.ok());
  json doc = json::parse(*chained);
  ASSERT_EQ(doc["plugins"].size(), 3u);
  EXPECT_EQ(doc["plugins"][1]["type"], "portmap");
  EXPECT_EQ(doc["plugins"][2], json(kOurs));
}

TEST(Conflist, RemovesEveryDuplicate) {
  std::string dup = R"({"plugins":[{"type":"kuma-cni"},{"type":"kuma-cni"},{"type":"a"},)"
                    R"({"type":"kuma-cni"}],"name":"n"})";
  auto clean = unchainFromConflist(dup);
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(*clean, R"({"plugins":[{"type":"a"}],"name":"n"})");
}

TEST(Conflist, SameEntryInOtherKeyOrderIsCurrent) {
  std::string text = R"({"plugins":[{"type":"calico"},{"kubernetes":{"exclude_namespaces":)"
                     R"(["kube-system"],"kubeconfig":"/etc/cni/net.d/ZZZ-kuma-cni-kubeconfig"},)"
                     R"("log_level":"info","type":"kuma-cni","name":"kuma-cni"}]})";
  EXPECT_EQ(*chainState(text, kOurs), ChainState::kCurrent);
}

TEST(Conflist, ClassifyAndWrap) {
  std::string conf = R"({"cniVersion":"0.3.0","name":"mynet","type":"bridge","bridge":"cni0"})";
  EXPECT_EQ(*classifyConf(conf), ConfKind::kSingle);
  EXPECT_EQ(*classifyConf(kConflists[0]), ConfKind::kConflist);
  EXPECT_FALSE(classifyConf("{}").ok());
  EXPECT_FALSE(classifyConf("nope").ok());
  auto wrapped = wrapConf(conf, kOurs);
  ASSERT_TRUE(wrapped.ok());
  json doc = json::parse(*wrapped);
  EXPECT_EQ(doc["name"], "mynet");
  EXPECT_EQ(doc["cniVersion"], "0.3.0");
  EXPECT_EQ(doc["plugins"][0], json::parse(conf));
  EXPECT_EQ(doc["plugins"][1], json(kOurs));
  EXPECT_EQ(*chainState(*wrapped, kOurs), ChainState::kCurrent);
}

TEST(Conflist, RejectsNonConflists) {
  EXPECT_FALSE(chainIntoConflist(R"({"type":"bridge"})", kOurs).ok());
  EXPECT_FALSE(chainIntoConflist(R"({"plugins":{}})", kOurs).ok());
  EXPECT_FALSE(chainIntoConflist("{broken", kOurs).ok());
}

}  // namespace
}  // namespace kt::cni
