#include "tokens/account_token_cache.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

std::shared_ptr<const Principal> principal_of(const std::string& user) {
  auto p = std::make_shared<Principal>();
  p->user_id = user;
  return p;
}

Digest digest_of(std::uint8_t b) {
  Digest d{};
  d.fill(b);
  return d;
}

// Test that inserted principals are found and evicted by digest and by user.
TEST(AccountTokenCache, FindAndEvict) {
  AccountTokenCache cache;
  cache.insert_if_current(cache.epoch(), digest_of(1), principal_of("u1"));
  cache.insert_if_current(cache.epoch(), digest_of(2), principal_of("u2"));
  ASSERT_NE(cache.find(digest_of(1)), nullptr);
  EXPECT_EQ(cache.find(digest_of(1))->user_id, "u1");
  cache.evict_user("u1");
  EXPECT_EQ(cache.find(digest_of(1)), nullptr);
  EXPECT_NE(cache.find(digest_of(2)), nullptr);
  cache.evict(digest_of(2));
  EXPECT_EQ(cache.size(), 0u);
}

// Test that a value read before an eviction is never cached after it (the
// race between a reader filling the cache and a writer revoking).
TEST(AccountTokenCache, StaleFillIsRefused) {
  AccountTokenCache cache;
  const auto epoch = cache.epoch();                                  // reader starts
  cache.evict_user("u1");                                            // writer commits and evicts
  cache.insert_if_current(epoch, digest_of(1), principal_of("u1"));  // reader's stale fill
  EXPECT_EQ(cache.find(digest_of(1)), nullptr);
}

// Test that a full cache stops inserting instead of growing without bound.
TEST(AccountTokenCache, BoundedSize) {
  AccountTokenCache cache(2);
  for (std::uint8_t i = 1; i <= 5; ++i)
    cache.insert_if_current(cache.epoch(), digest_of(i), principal_of("u"));
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace latchkey
