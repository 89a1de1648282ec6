// Store conformance for API keys (store/key_store.h, seeds 002-004). Runs on
// every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include <vector>

#include "store/key_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

ApiKey key_of(std::string_view id, std::string_view user_id, const Digest& digest, Instant now) {
  ApiKey key;
  key.id = std::string(id);
  key.user_id = std::string(user_id);
  key.name = "ci deploy";
  key.role_id = "rol_reader";
  key.read_only = true;
  key.digest = digest;
  key.masked = "••••a1B9";
  key.created_at = now;
  key.expires_at = now + hours(24 * 30);
  return key;
}

// Test that an inserted key reads back field by field, by id and by digest,
// active, never used and never deactivated.
TEST_P(StoreConformanceTest, KeyRoundTrips) {
  make_user("alice");
  const Digest digest = random_digest();
  const ApiKey key = key_of("key_1", "usr_alice", digest, clock_.now());
  ASSERT_TRUE(store_->keys().insert_key(key));

  for (int pass = 0; pass < 2; ++pass) {
    auto by_id = store_->keys().find_key("key_1");
    ASSERT_TRUE(by_id) << by_id.error().description;
    ASSERT_TRUE(by_id->has_value());
    const ApiKey& got = **by_id;
    EXPECT_EQ(got.user_id, "usr_alice");
    EXPECT_EQ(got.name, "ci deploy");
    EXPECT_EQ(got.role_id, "rol_reader");
    EXPECT_TRUE(got.read_only);
    EXPECT_EQ(got.digest, digest);
    EXPECT_EQ(got.masked, "••••a1B9");
    EXPECT_EQ(got.status, KeyStatus::kActive);
    EXPECT_EQ(got.created_at, key.created_at);
    EXPECT_EQ(got.expires_at, key.expires_at);
    EXPECT_FALSE(got.deactivated_at);
    EXPECT_FALSE(got.last_used_at);

    auto by_digest = store_->keys().find_key_by_digest(digest);
    ASSERT_TRUE(by_digest);
    ASSERT_TRUE(by_digest->has_value());
    EXPECT_EQ((*by_digest)->id, "key_1");
    reopen();  // and it is durable
  }
  auto missing = store_->keys().find_key_by_digest(random_digest());
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto missing_id = store_->keys().find_key("key_nope");
  ASSERT_TRUE(missing_id);
  EXPECT_FALSE(missing_id->has_value());
}

// Test that ids and digests are unique and that a key needs an owner.
TEST_P(StoreConformanceTest, KeyInsertConflictsAndUnknownOwner) {
  make_user("alice");
  const Digest digest = random_digest();
  ASSERT_TRUE(store_->keys().insert_key(key_of("key_1", "usr_alice", digest, clock_.now())));
  auto same_id =
      store_->keys().insert_key(key_of("key_1", "usr_alice", random_digest(), clock_.now()));
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code, ErrorCode::kConflict);
  auto same_digest = store_->keys().insert_key(key_of("key_2", "usr_alice", digest, clock_.now()));
  ASSERT_FALSE(same_digest);
  EXPECT_EQ(same_digest.error().code, ErrorCode::kConflict);
  auto no_owner =
      store_->keys().insert_key(key_of("key_3", "usr_ghost", random_digest(), clock_.now()));
  ASSERT_FALSE(no_owner);
  EXPECT_EQ(no_owner.error().code, ErrorCode::kNotFound);
}

// Test that keys list per user and in total, oldest first.
TEST_P(StoreConformanceTest, KeysListOldestFirst) {
  make_user("alice");
  make_user("bob");
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_a1", "usr_alice", random_digest(), clock_.now())));
  clock_.advance(seconds(1));
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_b1", "usr_bob", random_digest(), clock_.now())));
  clock_.advance(seconds(1));
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_a2", "usr_alice", random_digest(), clock_.now())));

  auto alice = store_->keys().list_keys_of_user("usr_alice");
  ASSERT_TRUE(alice);
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_EQ((*alice)[0].id, "key_a1");
  EXPECT_EQ((*alice)[1].id, "key_a2");
  auto all = store_->keys().list_keys();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "key_a1");
  EXPECT_EQ((*all)[1].id, "key_b1");
  EXPECT_EQ((*all)[2].id, "key_a2");
  auto nobody = store_->keys().list_keys_of_user("usr_nobody");
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->empty());
}

// Test that deactivation is durable and idempotent: the first deactivation
// (time and actor) is kept.
TEST_P(StoreConformanceTest, KeyDeactivationIsIdempotent) {
  make_user("alice");
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_1", "usr_alice", random_digest(), clock_.now())));
  const Instant first = clock_.now() + seconds(5);
  auto done = store_->keys().deactivate_key("key_1", first, "usr_alice");
  ASSERT_TRUE(done) << done.error().description;
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->status, KeyStatus::kInactive);
  EXPECT_EQ((*done)->deactivated_at, first);
  EXPECT_EQ((*done)->deactivated_by, "usr_alice");

  auto again = store_->keys().deactivate_key("key_1", first + seconds(60), "usr_admin");
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->deactivated_at, first);
  EXPECT_EQ((*again)->deactivated_by, "usr_alice");

  reopen();
  auto read = store_->keys().find_key("key_1");
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)->status, KeyStatus::kInactive);
  EXPECT_EQ((*read)->deactivated_at, first);

  auto missing = store_->keys().deactivate_key("key_nope", first, "usr_alice");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

// Test that usage is recorded in one call for many keys, never moves last
// use backwards and ignores unknown keys.
TEST_P(StoreConformanceTest, KeyUsageRecordsInOneBatch) {
  make_user("alice");
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_1", "usr_alice", random_digest(), clock_.now())));
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_2", "usr_alice", random_digest(), clock_.now())));
  const Instant t = clock_.now() + seconds(10);
  auto n = store_->keys().record_key_usage(
      {{"key_1", t}, {"key_2", t + seconds(1)}, {"key_unknown", t}});
  ASSERT_TRUE(n) << n.error().description;
  EXPECT_EQ(*n, 2);
  auto older = store_->keys().record_key_usage({{"key_1", t - seconds(5)}});
  ASSERT_TRUE(older);
  EXPECT_EQ(*older, 0);
  auto empty = store_->keys().record_key_usage({});
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, 0);

  reopen();
  auto k1 = store_->keys().find_key("key_1");
  auto k2 = store_->keys().find_key("key_2");
  ASSERT_TRUE(k1 && k2);
  EXPECT_EQ((*k1)->last_used_at, t);
  EXPECT_EQ((*k2)->last_used_at, t + seconds(1));
}

// Test that an empty store lists no keys.
TEST_P(StoreConformanceTest, NoKeysInAnEmptyStore) {
  auto none = store_->keys().list_keys();
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace latchkey::testing
