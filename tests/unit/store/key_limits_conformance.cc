// Store conformance for per-key limit overrides (KeyStore::set_key_limits,
// migration 6; docs/rate-limits.md). Runs on every backend through
// StoreConformanceTest.
#include <gtest/gtest.h>

#include "store/key_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

ApiKey limited_key(std::string_view id, const Digest& digest, Instant now) {
  ApiKey key;
  key.id = std::string(id);
  key.user_id = "usr_alice";
  key.name = "limited";
  key.digest = digest;
  key.masked = "••••a1B9";
  key.created_at = now;
  key.expires_at = now + std::chrono::hours(24);
  return key;
}

// Test that a new key has no override, that set_key_limits stores each
// field (or none), durably, visible by id, digest and in listings, and that
// an unknown key gives nullopt.
TEST_P(StoreConformanceTest, KeyLimitsRoundTripAndClear) {
  make_user("alice");
  const Digest digest = random_digest();
  ASSERT_TRUE(store_->keys().insert_key(limited_key("key_l", digest, clock_.now())));
  auto fresh = store_->keys().find_key("key_l");
  ASSERT_TRUE(fresh && fresh->has_value());
  EXPECT_TRUE((*fresh)->limits.empty());

  auto set = store_->keys().set_key_limits("key_l", KeyLimitOverride{300, std::nullopt});
  ASSERT_TRUE(set) << set.error().description;
  ASSERT_TRUE(set->has_value());
  EXPECT_EQ((*set)->limits, (KeyLimitOverride{300, std::nullopt}));
  reopen();
  auto by_digest = store_->keys().find_key_by_digest(digest);
  ASSERT_TRUE(by_digest && by_digest->has_value());
  EXPECT_EQ((*by_digest)->limits, (KeyLimitOverride{300, std::nullopt}));

  ASSERT_TRUE(store_->keys().set_key_limits("key_l", KeyLimitOverride{0, 2}));
  auto listed = store_->keys().list_keys_of_user("usr_alice");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().limits, (KeyLimitOverride{0, 2}));  // 0 = unlimited, kept

  ASSERT_TRUE(store_->keys().set_key_limits("key_l", KeyLimitOverride{}));
  reopen();
  auto cleared = store_->keys().find_key("key_l");
  ASSERT_TRUE(cleared && cleared->has_value());
  EXPECT_TRUE((*cleared)->limits.empty());

  auto unknown = store_->keys().set_key_limits("key_nope", KeyLimitOverride{1, 1});
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
}

}  // namespace
}  // namespace latchkey::testing
