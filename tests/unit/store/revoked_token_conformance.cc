// Store conformance for revoked JWTs (revoked_token_store.h, RFC 7009
// revocation by jti). Runs on every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include "store/revoked_token_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

RevokedJwt revoked(std::string jti, Instant now, Duration ttl = hours(1)) {
  return RevokedJwt{std::move(jti), "usr_owner", now, now + ttl};
}

// Test that a revocation is recorded once: the second revoke of the same jti
// keeps the first record and says it was already there.
TEST_P(StoreConformanceTest, RevokedJwtIsRecordedOnce) {
  const Instant now = clock_.now();
  auto first = store_->revoked_tokens().revoke_jwt(revoked("jti_a", now));
  ASSERT_TRUE(first) << first.error().description;
  EXPECT_TRUE(*first);
  auto second = store_->revoked_tokens().revoke_jwt(revoked("jti_a", now + seconds(5), hours(9)));
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  auto listed = store_->revoked_tokens().revoked_jwts(now);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().jti, "jti_a");
  EXPECT_EQ(listed->front().user_id, "usr_owner");
  EXPECT_EQ(listed->front().revoked_at, now);
  EXPECT_EQ(listed->front().expires_at, now + hours(1));
}

// Test that only revocations of tokens not yet expired are listed, and that
// they survive a reopen (durable).
TEST_P(StoreConformanceTest, RevokedJwtsListedUntilExpiryAndDurable) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->revoked_tokens().revoke_jwt(revoked("jti_short", now, seconds(10))));
  ASSERT_TRUE(store_->revoked_tokens().revoke_jwt(revoked("jti_long", now, hours(2))));
  reopen();
  auto at_start = store_->revoked_tokens().revoked_jwts(now);
  ASSERT_TRUE(at_start);
  EXPECT_EQ(at_start->size(), 2u);
  auto later = store_->revoked_tokens().revoked_jwts(now + seconds(10));
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().jti, "jti_long");
}

// Test that the single-jti check (degraded mode reads it per JWT) answers
// as the list does: revoked until the token's expiry, and a jti that only
// starts like a revoked one (a NUL after it) is not revoked.
TEST_P(StoreConformanceTest, IsJwtRevokedMatchesTheList) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->revoked_tokens().revoke_jwt(revoked("jti_a", now, seconds(10))));
  auto& revoked_tokens = store_->revoked_tokens();
  auto yes = revoked_tokens.is_jwt_revoked("jti_a", now);
  ASSERT_TRUE(yes) << yes.error().description;
  EXPECT_TRUE(*yes);
  auto expired = revoked_tokens.is_jwt_revoked("jti_a", now + seconds(10));
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);
  auto other = revoked_tokens.is_jwt_revoked("jti_b", now);
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  auto truncated = revoked_tokens.is_jwt_revoked(std::string_view("jti_a\0junk", 10), now);
  ASSERT_TRUE(truncated) << truncated.error().description;
  EXPECT_FALSE(*truncated);
  auto malformed = revoked_tokens.is_jwt_revoked("jti_a\xff", now);
  ASSERT_TRUE(malformed) << malformed.error().description;
  EXPECT_FALSE(*malformed);
}

// Test that pruning deletes exactly the revocations whose token expired.
TEST_P(StoreConformanceTest, PruneRevokedJwtsDeletesExpiredOnly) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->revoked_tokens().revoke_jwt(revoked("jti_short", now, seconds(10))));
  ASSERT_TRUE(store_->revoked_tokens().revoke_jwt(revoked("jti_long", now, hours(2))));
  auto none = store_->revoked_tokens().prune_revoked_jwts(now + seconds(9));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
  auto pruned = store_->revoked_tokens().prune_revoked_jwts(now + seconds(10));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  auto listed = store_->revoked_tokens().revoked_jwts(now);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().jti, "jti_long");
}

}  // namespace
}  // namespace latchkey::testing
