#include <gtest/gtest.h>

#include "base/net.h"

namespace kt {
namespace {

TEST(IpAddress, ParsesBothFamilies) {
  auto v4 = IpAddress::parse("10.1.2.3");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family, Family::kV4);
  EXPECT_EQ(v4->str(), "10.1.2.3");
  auto v6 = IpAddress::parse("fe80::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family, Family::kV6);
  EXPECT_EQ(v6->str(), "fe80::1");
}

TEST(IpAddress, RejectsGarbage) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "1.2.3.4 ", "::g", "abc", "10.0.0.1/8"}) {
    EXPECT_FALSE(IpAddress::parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0x", 9)).ok());
}

TEST(Cidr, ClearsHostBitsAndFormats) {
  auto c = Cidr::parse("10.1.2.3/8");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->str(), "10.0.0.0/8");
  EXPECT_EQ(c->last().str(), "10.255.255.255");
  EXPECT_EQ(Cidr::parse("fe80::1")->str(), "fe80::1/128");
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::parse("fe80::/129").ok());
  EXPECT_FALSE(Cidr::parse("10.0.0.0/").ok());
  EXPECT_FALSE(Cidr::parse("10.0.0.0/-1").ok());
}

TEST(PortRange, ParsesAndValidates) {
  EXPECT_EQ(PortRange::parse("80")->str(), "80");
  EXPECT_EQ(PortRange::parse("8000-9000")->str(), "8000-9000");
  for (const char* bad : {"0", "65536", "-1", "a", "10-5", "1-", "-5", "+5", " 5"}) {
    EXPECT_FALSE(PortRange::parse(bad).ok()) << bad;
  }
  auto e = PortRange::parse("70000");
  EXPECT_EQ(e.error().message(), "'70000' is not a valid port (1-65535)");
}

TEST(Normalize, MergesPortsAndCoveredCidrs) {
  auto p = normalizePorts({{81, 81}, {80, 80}, {79, 80}, {443, 443}});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].str(), "79-81");
  auto c = normalizeCidrs({*Cidr::parse("10.1.0.0/16"), *Cidr::parse("10.0.0.0/8"),
                           *Cidr::parse("10.1.2.0/24"), *Cidr::parse("fe80::/10")});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].str(), "10.0.0.0/8");
}

TEST(Normalize, IsNormalizedAcceptsExactlyWhatNormalizeReturns) {
  using Ports = std::vector<PortRange>;
  EXPECT_TRUE(isNormalized(Ports{}));
  EXPECT_TRUE(isNormalized(Ports{{22, 22}, {80, 81}, {443, 443}, {65535, 65535}}));
  EXPECT_FALSE(isNormalized(Ports{{443, 443}, {80, 80}}));  // unsorted
  EXPECT_FALSE(isNormalized(Ports{{80, 90}, {85, 100}}));   // overlapping
  EXPECT_FALSE(isNormalized(Ports{{80, 80}, {81, 81}}));    // adjacent
  EXPECT_FALSE(isNormalized(Ports{{80, 80}, {80, 80}}));    // repeated
  EXPECT_FALSE(isNormalized(Ports{{90, 80}}));              // reversed
  auto cidrs = [](std::initializer_list<const char*> texts) {
    std::vector<Cidr> out;
    for (const char* t : texts)
      out.push_back(*Cidr::parse(t));
    return out;
  };
  EXPECT_TRUE(isNormalized(std::vector<Cidr>{}));
  EXPECT_TRUE(isNormalized(cidrs({"10.0.0.0/8", "11.0.0.1", "192.168.0.0/16", "fd00::/8"})));
  EXPECT_FALSE(isNormalized(cidrs({"fd00::/8", "10.0.0.0/8"})));     // IPv4 first
  EXPECT_FALSE(isNormalized(cidrs({"11.0.0.0/8", "10.0.0.0/8"})));   // unsorted
  EXPECT_FALSE(isNormalized(cidrs({"10.0.0.0/8", "10.1.0.0/16"})));  // covered
  EXPECT_FALSE(isNormalized(cidrs({"10.0.0.1", "10.0.0.1"})));       // repeated
  // Whatever the input, normalizing gives a normalized list, and a normalized list is kept.
  for (const auto& in : {cidrs({"10.1.2.0/24", "fd00::1", "10.0.0.0/8", "10.1.0.0/16", "9.9.9.9"}),
                         cidrs({"fe80::/10", "fe80::1", "::1", "0.0.0.0/0", "1.2.3.4"})}) {
    auto out = normalizeCidrs(in);
    EXPECT_TRUE(isNormalized(out));
    EXPECT_EQ(normalizeCidrs(out), out);
  }
  auto ports = normalizePorts({{9, 12}, {1, 3}, {4, 4}, {12, 20}, {30, 30}});
  EXPECT_TRUE(isNormalized(ports));
  EXPECT_EQ(ports, (Ports{{1, 4}, {9, 20}, {30, 30}}));
}

}  // namespace
}  // namespace kt
