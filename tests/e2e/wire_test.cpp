// Hermetic tests of the kt-e2e tool's DNS wire format and endpoint parsing: the e2e suites trust
// these to tell the fake DNS proxy's answers from the peer resolver's.
#include <gtest/gtest.h>

#include "support/literals.h"
#include "tool/dns_wire.h"
#include "tool/endpoint.h"

namespace kt::e2e {
namespace {

using testing::ip;

TEST(DnsWire, QueryRoundTrip) {
  dns::Question q{0xbeef, "kuma-e2e.test", dns::kTypeAaaa, 1};
  auto wire = dns::buildQuery(q);
  ASSERT_TRUE(wire.ok()) << wire.error().message();
  // Header 12 + name (1+8+1+4+1) + type/class 4.
  EXPECT_EQ(wire->size(), 12u + 15u + 4u);
  auto back = dns::parseQuery(*wire);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->id, 0xbeef);
  EXPECT_EQ(back->name, "kuma-e2e.test");
  EXPECT_EQ(back->qtype, dns::kTypeAaaa);
}

TEST(DnsWire, ResponseCarriesTheRecordOfTheAskedType) {
  dns::Question q{7, "a.b", dns::kTypeA, 1};
  auto a = dns::buildResponse(q, ip("10.99.99.99"), ip("fd99::99"));
  auto got = dns::parseResponse(a, 7);
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->str(), "10.99.99.99");

  q.qtype = dns::kTypeAaaa;
  auto aaaa = dns::parseResponse(dns::buildResponse(q, ip("10.99.99.99"), ip("fd99::99")), 7);
  ASSERT_TRUE(aaaa.ok());
  ASSERT_TRUE(aaaa->has_value());
  EXPECT_EQ((*aaaa)->str(), "fd99::99");

  q.qtype = 16;  // TXT: no record, NOERROR
  auto none = dns::parseResponse(dns::buildResponse(q, ip("10.99.99.99"), std::nullopt), 7);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(DnsWire, RejectsMismatchesAndGarbage) {
  dns::Question q{7, "a.b", dns::kTypeA, 1};
  auto resp = dns::buildResponse(q, ip("10.1.2.3"), std::nullopt);
  EXPECT_FALSE(dns::parseResponse(resp, 8).ok());  // wrong id
  auto query = dns::buildQuery(q).value();
  EXPECT_FALSE(dns::parseResponse(query, 7).ok());  // not a response
  EXPECT_FALSE(dns::parseQuery(resp).ok());         // not a query
  std::vector<uint8_t> shortMsg(5, 0);
  EXPECT_FALSE(dns::parseQuery(shortMsg).ok());
  resp.resize(resp.size() - 2);  // truncated record data
  EXPECT_FALSE(dns::parseResponse(resp, 7).ok());
  EXPECT_FALSE(dns::buildQuery({1, "a..b", dns::kTypeA, 1}).ok());
  EXPECT_FALSE(dns::buildQuery({1, std::string(64, 'x'), dns::kTypeA, 1}).ok());
}

TEST(Endpoint, ParseAndFormatBothFamilies) {
  auto v4 = parseEndpoint("10.0.0.2:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(formatEndpoint(*v4), "10.0.0.2:8080");
  auto v6 = parseEndpoint("[fd00::2]:53");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->addr.family, Family::kV6);
  EXPECT_EQ(formatEndpoint(*v6), "[fd00::2]:53");
  EXPECT_FALSE(parseEndpoint("fd00::2:53").ok());
  EXPECT_FALSE(parseEndpoint("10.0.0.2").ok());
  EXPECT_FALSE(parseEndpoint("10.0.0.2:70000").ok());
  EXPECT_FALSE(parseEndpoint("[fd00::2]53").ok());
}

TEST(Endpoint, SockAddrRoundTripAndMappedAddresses) {
  for (const char* text : {"10.0.0.2:8080", "[fd00::2]:15010"}) {
    auto ep = parseEndpoint(text).value();
    SockAddr sa = toSockAddr(ep);
    auto back = fromSockAddr(sa.get(), sa.len);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, ep);
  }
  auto mapped = parseEndpoint("[::ffff:10.0.0.1]:80").value();
  SockAddr sa = toSockAddr(mapped);
  EXPECT_EQ(formatEndpoint(fromSockAddr(sa.get(), sa.len).value()), "10.0.0.1:80");
}

}  // namespace
}  // namespace kt::e2e
