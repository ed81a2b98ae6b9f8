#include <gtest/gtest.h>

#include "cni/result_convert.h"

namespace kt::cni {
namespace {

using nlohmann::json;

// What the bridge plugin prints for a dual-stack attachment in 1.0.0.
const json kBridge100 = json::parse(R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "kt0", "mac": "aa:bb:cc:dd:ee:ff"},
    {"name": "veth1", "mac": "aa:bb:cc:dd:ee:00"},
    {"name": "eth0", "mac": "aa:bb:cc:dd:ee:01", "sandbox": "/var/run/netns/pod"}
  ],
  "ips": [
    {"interface": 2, "address": "10.1.0.5/24", "gateway": "10.1.0.1"},
    {"interface": 2, "address": "fd00::5/64", "gateway": "fd00::1"}
  ],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}],
  "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]}
})");

TEST(ResultConvert, OneZeroToPreOneAddsVersion) {
  auto r = convertResult(kBridge100, "0.3.1");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)["cniVersion"], "0.3.1");
  EXPECT_EQ((*r)["ips"][0]["version"], "4");
  EXPECT_EQ((*r)["ips"][1]["version"], "6");
  EXPECT_EQ((*r)["ips"][0]["interface"], 2);
  EXPECT_EQ((*r)["interfaces"][2]["sandbox"], "/var/run/netns/pod");
  EXPECT_EQ((*r)["routes"][0]["gw"], "10.1.0.1");
  EXPECT_EQ((*r)["dns"]["nameservers"][0], "10.96.0.10");
}

TEST(ResultConvert, PreOneToOneZeroDropsVersion) {
  auto r04 = convertResult(kBridge100, "0.4.0");
  ASSERT_TRUE(r04.ok());
  auto r = convertResult(json(*r04), "1.0.0");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE((*r)["ips"][0].contains("version"));
  EXPECT_EQ(json(*r), kBridge100);  // round trip 1.0.0 -> 0.4.0 -> 1.0.0
}

TEST(ResultConvert, OneOneFieldsOnlyInOneOne) {
  json in = kBridge100;
  in["cniVersion"] = "1.1.0";
  in["interfaces"][0]["mtu"] = 1450;
  in["routes"][0]["table"] = 100;
  auto to11 = convertResult(in, "1.1.0");
  ASSERT_TRUE(to11.ok());
  EXPECT_EQ((*to11)["interfaces"][0]["mtu"], 1450);
  EXPECT_EQ((*to11)["routes"][0]["table"], 100);
  auto to10 = convertResult(in, "1.0.0");
  ASSERT_TRUE(to10.ok());
  EXPECT_FALSE((*to10)["interfaces"][0].contains("mtu"));
  EXPECT_FALSE((*to10)["routes"][0].contains("table"));
}

TEST(ResultConvert, RejectsMalformed) {
  const char* bad[] = {
      R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.1/24"}})",
      R"({"ips":[{"address":"10.0.0.1"}]})",
      R"({"ips":[{"address":"bogus/24"}]})",
      R"({"ips":[{"address":"10.0.0.1/24","version":"6"}]})",
      R"({"ips":[{"address":"10.0.0.1/24","interface":-1}]})",
      R"({"interfaces":[{"mac":"aa"}]})",
      R"({"interfaces":{}})",
      R"({"routes":[{"gw":"10.0.0.1"}]})",
      R"({"dns":{"nameservers":[1]}})",
      R"({"cniVersion":"7.0.0"})",
  };
  for (const char* text : bad) {
    EXPECT_FALSE(convertResult(json::parse(text), "1.0.0").ok()) << text;
  }
}

TEST(ResultConvert, PodAddress) {
  auto podAddress = [](const json& result) -> std::optional<std::string> {
    auto a = kt::cni::podAddress(result);
    if (!a) return std::nullopt;
    return a->str();
  };
  EXPECT_EQ(podAddress(kBridge100), "10.1.0.5");
  // The sandbox interface wins over a host-side address listed first.
  json r = json::parse(R"({"interfaces":[{"name":"br0"},{"name":"eth0","sandbox":"/ns"}],
    "ips":[{"address":"10.9.9.1/24","interface":0},{"address":"fd00::7/64","interface":1}]})");
  EXPECT_EQ(podAddress(r), "fd00::7");
  EXPECT_EQ(podAddress(json::parse(R"({"ips":[{"address":"192.168.1.9/24"}]})")), "192.168.1.9");
  EXPECT_EQ(podAddress(json::parse(R"({"ips":[]})")), std::nullopt);
  EXPECT_EQ(podAddress(json::parse(R"({"ips":[{"address":7}]})")), std::nullopt);
  EXPECT_EQ(podAddress(json::object()), std::nullopt);
}

TEST(ResultConvert, EmptyResult) {
  auto e = emptyResult("0.3.0");
  EXPECT_EQ(e.dump(), R"({"cniVersion":"0.3.0","dns":{}})");
}

}  // namespace
}  // namespace kt::cni
