#include "core/cidr.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

bool in(std::string_view block, std::string_view address) {
  auto cidr = Cidr::parse(block);
  EXPECT_TRUE(cidr) << block;
  auto ip = IpAddress::parse(address);
  EXPECT_TRUE(ip) << address;
  return cidr && ip && cidr->contains(*ip);
}

// Test that IPv4 blocks contain exactly their range, at byte and bit boundaries.
TEST(Cidr, Ipv4Ranges) {
  EXPECT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(in("10.0.0.0/8", "11.0.0.0"));
  EXPECT_TRUE(in("192.168.4.0/22", "192.168.7.255"));
  EXPECT_FALSE(in("192.168.4.0/22", "192.168.8.0"));
  EXPECT_FALSE(in("192.168.4.0/22", "192.168.3.255"));
  EXPECT_TRUE(in("127.0.0.1/32", "127.0.0.1"));
  EXPECT_FALSE(in("127.0.0.1/32", "127.0.0.2"));
  EXPECT_TRUE(in("0.0.0.0/0", "203.0.113.9"));
  EXPECT_TRUE(in("127.0.0.1", "127.0.0.1"));  // a bare address is a /32
}

// Test that IPv6 blocks contain exactly their range and never an IPv4 address.
TEST(Cidr, Ipv6Ranges) {
  EXPECT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(in("2001:db8::/32", "2001:db9::"));
  EXPECT_TRUE(in("::1/128", "::1"));
  EXPECT_FALSE(in("::1/128", "::2"));
  EXPECT_TRUE(in("fd00::/8", "fdff::1"));
  EXPECT_FALSE(in("::/0", "127.0.0.1"));
  EXPECT_FALSE(in("0.0.0.0/0", "::1"));
  EXPECT_TRUE(in("2001:db8::/127", "2001:db8::1"));
}

// Test that an IPv4-mapped IPv6 peer (a dual-stack socket) is its IPv4 address.
TEST(Cidr, MappedAddressesAreIpv4) {
  EXPECT_TRUE(in("127.0.0.0/8", "::ffff:127.0.0.2"));
  auto ip = IpAddress::parse("::ffff:10.1.2.3");
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(ip->to_string(), "10.1.2.3");
  EXPECT_TRUE(in("::ffff:10.0.0.0/104", "10.200.0.1"));
  EXPECT_FALSE(Cidr::parse("::ffff:10.0.0.0/90"));
}

// Test that malformed blocks are refused and the error names them.
TEST(Cidr, StrictParsing) {
  for (const char* bad : {"",
                          "/8",
                          "10.0.0.0/",
                          "10.0.0.0/33",
                          "::/129",
                          "10.0.0.0/-1",
                          "10.0.0.0/08",
                          "10.0.0.0/8/8",
                          "10.0.0.1/8",
                          "2001:db8::1/32",
                          "10.0.0",
                          "10.0.0.0.0/8",
                          "256.0.0.0/8",
                          " 10.0.0.0/8",
                          "10.0.0.0/8 ",
                          "010.0.0.0/8",
                          "[::1]/128",
                          "fe80::1%eth0/128",
                          "10.0.0.0/+8",
                          "0.0.0.0/-0",
                          "::/-0",
                          "0.0.0.0/+0",
                          "example.com/32",
                          "10.0.0.0/1000"}) {
    auto parsed = Cidr::parse(bad);
    EXPECT_FALSE(parsed) << "accepted: \"" << bad << "\"";
    if (!parsed) {
      EXPECT_NE(parsed.error().description.find(bad), std::string::npos);
    }
  }
}

// Test that a set parses every entry or none, naming the bad one.
TEST(CidrSet, ParsesAllOrNamesTheBadEntry) {
  auto set = CidrSet::parse({"127.0.0.1/32", "::1/128", "10.0.0.0/8"});
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->contains("127.0.0.1"));
  EXPECT_TRUE(set->contains("::1"));
  EXPECT_TRUE(set->contains("10.9.9.9"));
  EXPECT_FALSE(set->contains("127.0.0.2"));
  EXPECT_FALSE(set->contains("not an address"));
  EXPECT_FALSE(set->contains(""));
  auto bad = CidrSet::parse({"127.0.0.1/32", "10.0.0.0/88"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().description.find("10.0.0.0/88"), std::string::npos);
  EXPECT_TRUE(CidrSet::parse({})->empty());
}

// Test that addresses print canonically.
TEST(IpAddress, CanonicalText) {
  EXPECT_EQ(IpAddress::parse("2001:0db8:0000:0000:0000:0000:0000:0001")->to_string(),
            "2001:db8::1");
  EXPECT_EQ(IpAddress::parse("127.0.0.1")->to_string(), "127.0.0.1");
}

// Test that an IPv6 address counts as its /64 and an IPv4 address (also
// when IPv4-mapped) as itself, for counting distinct origins.
TEST(OriginBlock, Ipv6ByItsSlashSixtyFourIpv4ByItself) {
  EXPECT_EQ(origin_block("2001:db8:1:2:8d3c:11ff:fe00:1"), "2001:db8:1:2::/64");
  EXPECT_EQ(origin_block("2001:db8:1:2::a"), origin_block("2001:db8:1:2::b"));
  EXPECT_NE(origin_block("2001:db8:1:2::a"), origin_block("2001:db8:1:3::a"));
  EXPECT_EQ(origin_block("::1"), "::/64");
  EXPECT_EQ(origin_block("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(origin_block("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_NE(origin_block("192.0.2.7"), origin_block("192.0.2.8"));
  EXPECT_EQ(origin_block("not-an-address"), "not-an-address");
}

}  // namespace
}  // namespace latchkey
