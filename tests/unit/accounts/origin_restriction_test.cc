// Origin restrictions' parsing and matching (accounts/origin_restriction.h;
// docs/origin-restrictions.md), IPv4 and IPv6.
#include "accounts/origin_restriction.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

// Test that entries are normalized to canonical CIDR text (IPv6 lower case
// and compressed, bare addresses as /32 and /128, IPv4-mapped blocks as
// IPv4), duplicates dropped and order kept.
TEST(AllowedOrigins, NormalizesIpv4AndIpv6) {
  auto n = normalize_allowed_origins({"2001:DB8:0:0::/32", "10.1.2.3", "::1", "10.1.2.3/32",
                                      "::ffff:10.0.0.0/104", "fe80::/10", "0.0.0.0/0", "::/0"});
  ASSERT_TRUE(n) << n.error().description;
  EXPECT_EQ(*n, (std::vector<std::string>{"2001:db8::/32", "10.1.2.3/32", "::1/128", "10.0.0.0/8",
                                          "fe80::/10", "0.0.0.0/0", "::/0"}));
  auto empty = normalize_allowed_origins({});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

// Test that a bad entry is refused naming its index and text, whatever is
// wrong with it, and that more than 64 entries are refused.
TEST(AllowedOrigins, RefusesBadEntriesByName) {
  for (const std::string bad : {"10.0.0.1/8", "2001:db8::1/32", "2001:db8::/129", "10.0.0.0/33",
                                "10.0.0", "[::1]", "::1%eth0", "fe80::/010", "", " 10.0.0.0/8",
                                "10.0.0.0/8,11.0.0.0/8", "2001:db8::/-1", "gggg::/16"}) {
    auto n = normalize_allowed_origins({"192.0.2.0/24", bad});
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().code, ErrorCode::kInvalidRequest);
    EXPECT_EQ(n.error().reason, "invalid_cidr");
    EXPECT_NE(n.error().description.find("cidrs[1]"), std::string::npos) << n.error().description;
  }
  std::vector<std::string> many;
  for (int i = 0; i < 65; ++i) many.push_back("10.0." + std::to_string(i) + ".0/24");
  auto too_many = normalize_allowed_origins(many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().reason, "too_many_origins");
  many.pop_back();
  EXPECT_TRUE(normalize_allowed_origins(many));
}

// Test matching: IPv6 blocks match IPv6 addresses at the prefix boundary,
// never IPv4; IPv4 blocks match IPv4-mapped IPv6 peers; an empty
// restriction allows anything; a list whose entries cannot be read allows
// nothing.
TEST(AllowedOrigins, MatchesIpv6AndIpv4) {
  const OriginRestriction r = OriginRestriction::of({"2001:db8:abcd::/48", "192.0.2.128/25"});
  EXPECT_TRUE(r.restricted());
  EXPECT_TRUE(r.allows("2001:db8:abcd::1"));
  EXPECT_TRUE(r.allows("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(r.allows("2001:db8:abce::"));
  EXPECT_FALSE(r.allows("2001:db8::1"));
  EXPECT_TRUE(r.allows("192.0.2.200"));
  EXPECT_TRUE(r.allows("::ffff:192.0.2.129"));
  EXPECT_FALSE(r.allows("192.0.2.127"));
  EXPECT_FALSE(r.allows("::ffff:c000:27f"));  // 192.0.2.127, mapped
  EXPECT_FALSE(r.allows(""));
  EXPECT_FALSE(r.allows("not an address"));
  EXPECT_TRUE(OriginRestriction().allows("anything"));
  EXPECT_FALSE(OriginRestriction::of({"garbage"}).allows("192.0.2.1"));
}

// Test that a key's restriction sits under its owner's list: an address
// must be allowed by both lists that are set, so an unrestricted key of a
// restricted owner is restricted all the same.
TEST(AllowedOrigins, OwnerListIsACeilingForKeys) {
  const OriginRestriction unrestricted_key = OriginRestriction::of_key({}, {"127.0.0.1/32"});
  EXPECT_TRUE(unrestricted_key.restricted());
  EXPECT_TRUE(unrestricted_key.allows("127.0.0.1"));
  EXPECT_FALSE(unrestricted_key.allows("127.0.0.2"));

  const OriginRestriction both = OriginRestriction::of_key({"10.0.0.0/8"}, {"10.1.0.0/16"});
  EXPECT_TRUE(both.allows("10.1.2.3"));
  EXPECT_FALSE(both.allows("10.2.0.1"));   // the key allows it, the owner does not
  EXPECT_FALSE(both.allows("192.0.2.1"));  // neither

  const OriginRestriction key_only = OriginRestriction::of_key({"10.0.0.0/8"}, {});
  EXPECT_TRUE(key_only.allows("10.2.0.1"));
  EXPECT_FALSE(key_only.allows("192.0.2.1"));

  const OriginRestriction neither = OriginRestriction::of_key({}, {});
  EXPECT_FALSE(neither.restricted());
  EXPECT_TRUE(neither.allows("192.0.2.1"));
  // A corrupt owner list allows nothing (fail closed).
  EXPECT_FALSE(OriginRestriction::of_key({}, {"garbage"}).allows("192.0.2.1"));
}

}  // namespace
}  // namespace latchkey
