// Store conformance for rotation with overlap (docs/rotation.md): a client's
// previous secret kept in the same transaction as the current one, retiring
// it, and the API key reroll (insert the new key + mark the old one, in one
// transaction). Runs on every backend through StoreConformanceTest.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
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

// Test that a reset with an overlap keeps the replaced secret as the
// previous one, lapsing at reset time + overlap, durably.
TEST_P(StoreConformanceTest, ResetWithOverlapKeepsThePreviousSecret) {
  const User alice = make_user("alice");
  const Digest first = random_digest();
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", first, clock_.now(), false));
  clock_.advance(seconds(10));
  const Digest second = random_digest();
  auto reset = store_->set_client_secret(alice.id, "cli_b", second, clock_.now(), false,
                                         std::chrono::hours(1));
  ASSERT_TRUE(reset) << reset.error().description;
  EXPECT_EQ(reset->client_id, "cli_a");
  EXPECT_TRUE(reset->replaced);  // decided in the transaction (secret.rotated)
  ASSERT_TRUE(reset->previous_secret_digest && reset->previous_expires_at);
  EXPECT_EQ(*reset->previous_secret_digest, first);
  EXPECT_EQ(*reset->previous_expires_at, clock_.now() + std::chrono::hours(1));
  for (int pass = 0; pass < 2; ++pass) {
    auto found = store_->find_client_credential("cli_a");
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->secret_digest, second);
    ASSERT_TRUE((*found)->previous_secret_digest.has_value());
    EXPECT_EQ(*(*found)->previous_secret_digest, first);
    EXPECT_EQ((*found)->previous_expires_at, reset->previous_expires_at);
    auto of_user = store_->client_credential_of_user(alice.id);
    ASSERT_TRUE(of_user && of_user->has_value());
    EXPECT_EQ((*of_user)->previous_expires_at, reset->previous_expires_at);
    reopen();  // the rule holds after a restart
  }
}

// Test that a reset without an overlap keeps no previous secret, also when
// an earlier reset had one (seed 000: the old secret dies at once).
TEST_P(StoreConformanceTest, ResetWithoutOverlapDropsEveryPreviousSecret) {
  const User alice = make_user("alice");
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", random_digest(), clock_.now(), false));
  ASSERT_TRUE(
      store_->set_client_secret(alice.id, "cli_a", random_digest(), clock_.now(), false, hours(1)));
  auto plain = store_->set_client_secret(alice.id, "cli_a", random_digest(), clock_.now(), false);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->previous_secret_digest);
  EXPECT_FALSE(plain->previous_expires_at);
  auto found = store_->find_client_credential("cli_a");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_FALSE((*found)->previous_secret_digest);
}

// Test that a first secret has no previous one even when an overlap is asked.
TEST_P(StoreConformanceTest, FirstSecretHasNoPreviousOne) {
  const User alice = make_user("alice");
  auto first =
      store_->set_client_secret(alice.id, "cli_a", random_digest(), clock_.now(), false, hours(1));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->previous_secret_digest);
  EXPECT_FALSE(first->replaced);
}

// Test that a second reset during an overlap makes the just-replaced secret
// the previous one and drops the older one: at most two live secrets.
TEST_P(StoreConformanceTest, SecondResetDuringOverlapKeepsAtMostTwoSecrets) {
  const User alice = make_user("alice");
  const Digest first = random_digest();
  const Digest second = random_digest();
  const Digest third = random_digest();
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", first, clock_.now(), false));
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", second, clock_.now(), false, hours(2)));
  clock_.advance(seconds(5));
  auto again = store_->set_client_secret(alice.id, "cli_a", third, clock_.now(), false, hours(1));
  ASSERT_TRUE(again);
  auto found = store_->find_client_credential("cli_a");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->secret_digest, third);
  ASSERT_TRUE((*found)->previous_secret_digest);
  EXPECT_EQ(*(*found)->previous_secret_digest, second);
  EXPECT_EQ(*(*found)->previous_expires_at, clock_.now() + hours(1));
}

// Test that retiring moves the previous secret's lapse to now (keeping its
// digest, so it can be told "rotated"), once; nothing to retire otherwise.
TEST_P(StoreConformanceTest, RetiringThePreviousSecretEndsItNow) {
  const User alice = make_user("alice");
  const Digest first = random_digest();
  EXPECT_EQ(*store_->retire_previous_client_secret(alice.id, clock_.now()), std::nullopt);
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", first, clock_.now(), false));
  EXPECT_EQ(*store_->retire_previous_client_secret(alice.id, clock_.now()), std::nullopt);
  ASSERT_TRUE(
      store_->set_client_secret(alice.id, "cli_a", random_digest(), clock_.now(), false, hours(1)));
  clock_.advance(seconds(30));
  auto retired = store_->retire_previous_client_secret(alice.id, clock_.now());
  ASSERT_TRUE(retired) << retired.error().description;
  ASSERT_TRUE(retired->has_value());
  EXPECT_EQ((*retired)->previous_expires_at, clock_.now());
  EXPECT_EQ((*retired)->previous_secret_digest, first);
  reopen();
  auto found = store_->find_client_credential("cli_a");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->previous_expires_at, clock_.now());
  // Already ended: nothing more to retire.
  EXPECT_EQ(*store_->retire_previous_client_secret(alice.id, clock_.now()), std::nullopt);
  // A lapsed previous secret is not retired either.
  ASSERT_TRUE(store_->set_client_secret(alice.id, "cli_a", random_digest(), clock_.now(), false,
                                        seconds(10)));
  clock_.advance(seconds(10));
  EXPECT_EQ(*store_->retire_previous_client_secret(alice.id, clock_.now()), std::nullopt);
}

// Test that a reroll inserts the new key and marks the old one in one
// write: links both ways, copies the limit override, durably.
TEST_P(StoreConformanceTest, RerollLinksTheOldAndTheNewKey) {
  make_user("alice");
  ApiKey old_key = key_of("key_old", "usr_alice", random_digest(), clock_.now());
  ASSERT_TRUE(store_->keys().insert_key(old_key));
  ASSERT_TRUE(store_->keys().set_key_limits("key_old", {.requests_per_minute = 7}));
  clock_.advance(hours(1));
  ApiKey fresh = key_of("key_new", "usr_alice", random_digest(), clock_.now());
  fresh.expires_at = old_key.expires_at;
  fresh.limits.requests_per_minute = 7;
  const Instant lapses_at = clock_.now() + seconds(600);
  auto rerolled = store_->keys().reroll_key("key_old", fresh, lapses_at, clock_.now());
  ASSERT_TRUE(rerolled) << rerolled.error().description;
  EXPECT_EQ(rerolled->old_key.replaced_by, "key_new");
  EXPECT_EQ(rerolled->old_key.lapses_at, lapses_at);
  EXPECT_EQ(rerolled->new_key.rerolled_from, "key_old");
  EXPECT_FALSE(rerolled->new_key.lapses_at);
  for (int pass = 0; pass < 2; ++pass) {
    auto old_found = store_->keys().find_key("key_old");
    ASSERT_TRUE(old_found && old_found->has_value());
    EXPECT_EQ((*old_found)->replaced_by, "key_new");
    EXPECT_EQ((*old_found)->lapses_at, lapses_at);
    EXPECT_TRUE((*old_found)->rerolled_from.empty());
    auto new_found = store_->keys().find_key_by_digest(fresh.digest);
    ASSERT_TRUE(new_found && new_found->has_value());
    EXPECT_EQ((*new_found)->id, "key_new");
    EXPECT_EQ((*new_found)->rerolled_from, "key_old");
    EXPECT_EQ((*new_found)->limits.requests_per_minute, 7);
    EXPECT_EQ((*new_found)->expires_at, old_key.expires_at);
    EXPECT_TRUE((*new_found)->replaced_by.empty());
    reopen();
  }
  auto listed = store_->keys().list_keys_of_user("usr_alice");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
}

// Test that the new key gets the old key's allowed origins as stored when
// the reroll runs (docs/origin-restrictions.md), whatever the candidate
// holds, in the reroll's transaction, durably; the old key keeps its own.
TEST_P(StoreConformanceTest, RerollCopiesTheAllowedOrigins) {
  make_user("alice");
  const std::vector<std::string> origins = {"192.0.2.0/24", "2001:db8::/32"};
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_old", "usr_alice", random_digest(), clock_.now())));
  ASSERT_TRUE(store_->keys().set_key_allowed_origins("key_old", origins));
  ApiKey fresh = key_of("key_new", "usr_alice", random_digest(), clock_.now());
  fresh.allowed_origins = {"198.51.100.0/24"};  // stale: the stored list wins
  auto rerolled =
      store_->keys().reroll_key("key_old", fresh, clock_.now() + seconds(60), clock_.now());
  ASSERT_TRUE(rerolled) << rerolled.error().description;
  EXPECT_EQ(rerolled->new_key.allowed_origins, origins);
  EXPECT_EQ(rerolled->old_key.allowed_origins, origins);
  for (int pass = 0; pass < 2; ++pass) {
    auto by_id = store_->keys().find_key("key_new");
    ASSERT_TRUE(by_id && by_id->has_value());
    EXPECT_EQ((*by_id)->allowed_origins, origins);
    auto by_digest = store_->keys().find_key_by_digest(fresh.digest);
    ASSERT_TRUE(by_digest && by_digest->has_value());
    EXPECT_EQ((*by_digest)->allowed_origins, origins);
    auto listed = store_->keys().list_keys_of_user("usr_alice");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 2u);
    for (const ApiKey& key : *listed) EXPECT_EQ(key.allowed_origins, origins) << key.id;
    reopen();
  }
  // A key without a restriction gives a new key without one.
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_open", "usr_alice", random_digest(), clock_.now())));
  ApiKey open_fresh = key_of("key_open2", "usr_alice", random_digest(), clock_.now());
  open_fresh.allowed_origins = {"198.51.100.0/24"};
  auto open = store_->keys().reroll_key("key_open", open_fresh, clock_.now(), clock_.now());
  ASSERT_TRUE(open) << open.error().description;
  EXPECT_TRUE(open->new_key.allowed_origins.empty());
  EXPECT_TRUE((*store_->keys().find_key("key_open2"))->allowed_origins.empty());
}

// Test that rerolling B, the new key of A's reroll, ends A's overlap at
// that moment (at most two keys of a chain work at once), in the same
// transaction, durably; a lapse already past is not moved.
TEST_P(StoreConformanceTest, RerollingTheNewKeyEndsThePredecessorsOverlap) {
  make_user("alice");
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_a", "usr_alice", random_digest(), clock_.now())));
  const Instant a_lapse = clock_.now() + hours(2);
  auto first = store_->keys().reroll_key(
      "key_a", key_of("key_b", "usr_alice", random_digest(), clock_.now()), a_lapse, clock_.now());
  ASSERT_TRUE(first) << first.error().description;
  EXPECT_FALSE(first->predecessor);  // A replaced nothing
  clock_.advance(seconds(600));
  const Instant b_lapse = clock_.now() + hours(1);
  auto second = store_->keys().reroll_key(
      "key_b", key_of("key_c", "usr_alice", random_digest(), clock_.now()), b_lapse, clock_.now());
  ASSERT_TRUE(second) << second.error().description;
  EXPECT_EQ(second->old_key.lapses_at, b_lapse);
  ASSERT_TRUE(second->predecessor);
  EXPECT_EQ(second->predecessor->id, "key_a");
  EXPECT_EQ(second->predecessor->lapses_at, clock_.now());
  EXPECT_EQ(second->predecessor->replaced_by, "key_b");
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ((*store_->keys().find_key("key_a"))->lapses_at, clock_.now());
    EXPECT_EQ((*store_->keys().find_key("key_b"))->lapses_at, b_lapse);
    EXPECT_FALSE((*store_->keys().find_key("key_c"))->lapses_at);
    reopen();
  }
  // C's reroll after B's lapse: B's lapse (already past) stays where it was.
  clock_.advance(hours(2));
  auto third = store_->keys().reroll_key(
      "key_c", key_of("key_d", "usr_alice", random_digest(), clock_.now()), clock_.now(),
      clock_.now());
  ASSERT_TRUE(third) << third.error().description;
  EXPECT_FALSE(third->predecessor);
  EXPECT_EQ((*store_->keys().find_key("key_b"))->lapses_at, b_lapse);
}

// Test that an inactive, expired or already rerolled key is refused with
// kConflict and its reason, and that nothing is written.
TEST_P(StoreConformanceTest, RerollRefusesInactiveExpiredAndRerolledKeys) {
  make_user("alice");
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->keys().insert_key(key_of("key_off", "usr_alice", random_digest(), now)));
  ASSERT_TRUE(store_->keys().deactivate_key("key_off", now, "usr_alice"));
  ApiKey short_lived = key_of("key_short", "usr_alice", random_digest(), now);
  short_lived.expires_at = now + seconds(5);
  ASSERT_TRUE(store_->keys().insert_key(short_lived));
  ASSERT_TRUE(store_->keys().insert_key(key_of("key_once", "usr_alice", random_digest(), now)));
  ASSERT_TRUE(store_->keys().reroll_key(
      "key_once", key_of("key_once2", "usr_alice", random_digest(), now), now, now));
  clock_.advance(seconds(5));

  struct Case {
    const char* id;
    const char* reason;
  };
  int n = 0;
  for (const Case& c : {Case{"key_off", "inactive"}, Case{"key_short", "expired"},
                        Case{"key_once", "already_rerolled"}}) {
    const ApiKey fresh =
        key_of("key_try" + std::to_string(++n), "usr_alice", random_digest(), clock_.now());
    auto refused = store_->keys().reroll_key(c.id, fresh, clock_.now(), clock_.now());
    ASSERT_FALSE(refused) << c.id;
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict) << c.id;
    EXPECT_EQ(refused.error().reason, c.reason) << c.id;
    EXPECT_FALSE(store_->keys().find_key(fresh.id)->has_value()) << c.id;
  }
  auto once = store_->keys().find_key("key_once");
  EXPECT_EQ((*once)->replaced_by, "key_once2");
  auto missing = store_->keys().reroll_key(
      "key_nope", key_of("key_x", "usr_alice", random_digest(), clock_.now()), clock_.now(),
      clock_.now());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// Test that concurrent rerolls of one key leave exactly one new key.
TEST_P(StoreConformanceTest, ConcurrentRerollsOfOneKeyLeaveOneNewKey) {
  make_user("alice");
  ASSERT_TRUE(
      store_->keys().insert_key(key_of("key_old", "usr_alice", random_digest(), clock_.now())));
  constexpr int kThreads = 8;
  std::vector<ApiKey> candidates;
  for (int i = 0; i < kThreads; ++i) {
    candidates.push_back(
        key_of("key_new" + std::to_string(i), "usr_alice", random_digest(), clock_.now()));
  }
  std::atomic<int> won{0}, conflicted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->keys().reroll_key("key_old", candidates[i], clock_.now() + seconds(60),
                                         clock_.now());
      if (r) {
        ++won;
      } else if (r.error().code == ErrorCode::kConflict) {
        ++conflicted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(conflicted, kThreads - 1);
  auto listed = store_->keys().list_keys_of_user("usr_alice");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 2u);
}

}  // namespace
}  // namespace latchkey::testing
