// Store conformance for seed 003's login sessions (session_store.h) and the
// JWT signing keys (signing_key_store.h). Runs on every backend through
// StoreConformanceTest.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store/session_store.h"
#include "store/signing_key_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

LoginSession candidate(std::string_view key_id, std::string_view session_id, std::string token,
                       Instant now, Duration ttl = hours(2)) {
  LoginSession s;
  s.key_id = std::string(key_id);
  s.session_id = std::string(session_id);
  s.user_id = "usr_owner";
  s.created_at = now;
  s.token = std::move(token);
  s.token_issued_at = now;
  s.token_expires_at = now + ttl;
  return s;
}

// Test that the first login stores the candidate and a second one, while the
// token is valid, returns the same token (seed 003).
TEST_P(StoreConformanceTest, LoginSessionReusesValidToken) {
  const Instant now = clock_.now();
  auto first = store_->sessions().login_session(candidate("key_a", "s1", "tok-1", now), now);
  ASSERT_TRUE(first) << first.error().description;
  EXPECT_FALSE(first->reused);
  EXPECT_EQ(first->session.token, "tok-1");

  auto second = store_->sessions().login_session(
      candidate("key_a", "s1", "tok-2", now + seconds(10)), now + seconds(10));
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->reused);
  EXPECT_EQ(second->session.token, "tok-1");
  EXPECT_EQ(second->session.token_expires_at, now + hours(2));
}

// Test the `reusable` predicate: a valid, unrevoked stored token it declares
// stale (an older token form) is replaced inside the same transaction; a
// revoked one stays refused whatever the predicate says.
TEST_P(StoreConformanceTest, LoginSessionReplacesStaleToken) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->sessions().login_session(candidate("key_a", "s1", "old-form", now), now));
  auto stale = [](const LoginSession& s) { return s.token != "old-form"; };
  const Instant later = now + seconds(10);
  auto next =
      store_->sessions().login_session(candidate("key_a", "s1", "new-form", later), later, stale);
  ASSERT_TRUE(next) << next.error().description;
  EXPECT_FALSE(next->reused);
  EXPECT_EQ(next->session.token, "new-form");
  auto again =
      store_->sessions().login_session(candidate("key_a", "s1", "newer", later), later, stale);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->session.token, "new-form");

  ASSERT_TRUE(store_->sessions().revoke_session("key_a", "s1", later));
  auto refused = store_->sessions().login_session(candidate("key_a", "s1", "x", later), later,
                                                  [](const LoginSession&) { return false; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "session_revoked");
}

// Test that another session id or another key gets its own token.
TEST_P(StoreConformanceTest, LoginSessionIsPerKeyAndSession) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->sessions().login_session(candidate("key_a", "s1", "tok-1", now), now));
  auto other_session =
      store_->sessions().login_session(candidate("key_a", "s2", "tok-2", now), now);
  ASSERT_TRUE(other_session);
  EXPECT_FALSE(other_session->reused);
  EXPECT_EQ(other_session->session.token, "tok-2");
  auto other_key = store_->sessions().login_session(candidate("key_b", "s1", "tok-3", now), now);
  ASSERT_TRUE(other_key);
  EXPECT_EQ(other_key->session.token, "tok-3");
  auto listed = store_->sessions().sessions_of_key("key_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].session_id, "s1");
  EXPECT_EQ((*listed)[1].session_id, "s2");
}

// Test that an expired token is replaced, keeping the session's created_at.
TEST_P(StoreConformanceTest, LoginSessionReplacesExpiredToken) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->sessions().login_session(candidate("key_a", "s1", "tok-1", now), now));
  const Instant later = now + hours(2);  // exactly at expiry: no longer valid
  auto next = store_->sessions().login_session(candidate("key_a", "s1", "tok-2", later), later);
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->reused);
  EXPECT_EQ(next->session.token, "tok-2");
  EXPECT_EQ(next->session.created_at, now);
}

// Test that revoking a session returns its token and lists it as revoked;
// that a login on it is refused while that token could be valid (so the
// revocation survives restarts); and that after it expired, the next login
// issues a new token and clears the revocation.
TEST_P(StoreConformanceTest, RevokedSessionGetsNewTokenOnNextLogin) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->sessions().login_session(candidate("key_a", "s1", "tok-1", now), now));
  auto revoked = store_->sessions().revoke_session("key_a", "s1", now + seconds(5));
  ASSERT_TRUE(revoked) << revoked.error().description;
  EXPECT_EQ(revoked->token, "tok-1");

  auto found = store_->sessions().find_session("key_a", "s1");
  ASSERT_TRUE(found && *found);
  ASSERT_TRUE((*found)->revoked_at);
  EXPECT_EQ(*(*found)->revoked_at, now + seconds(5));
  auto listed = store_->sessions().revoked_sessions(now + seconds(6));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].token, "tok-1");
  auto after_expiry = store_->sessions().revoked_sessions(now + hours(3));
  ASSERT_TRUE(after_expiry);
  EXPECT_TRUE(after_expiry->empty());

  // While the revoked token could be valid, the session stays revoked.
  auto refused = store_->sessions().login_session(
      candidate("key_a", "s1", "tok-2", now + seconds(7)), now + seconds(7));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(refused.error().reason, "session_revoked");
  listed = store_->sessions().revoked_sessions(now + seconds(8));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].token, "tok-1");

  auto next = store_->sessions().login_session(candidate("key_a", "s1", "tok-2", now + hours(3)),
                                               now + hours(3));
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->reused);
  EXPECT_EQ(next->session.token, "tok-2");
  EXPECT_FALSE(next->session.revoked_at);
}

// Test that revoking an unknown session is kNotFound.
TEST_P(StoreConformanceTest, RevokeUnknownSessionIsNotFound) {
  auto revoked = store_->sessions().revoke_session("key_a", "nope", clock_.now());
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kNotFound);
}

// Test that concurrent logins for the same (key, session) all get one token.
TEST_P(StoreConformanceTest, ConcurrentLoginsAgreeOnOneToken) {
  const Instant now = clock_.now();
  constexpr int kThreads = 16;
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->sessions().login_session(
          candidate("key_a", "shared", "tok-" + std::to_string(i), now), now);
      if (r) got[i] = r->session.token;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_FALSE(got[i].empty());
    EXPECT_EQ(got[i], got[0]);
  }
}

// Test that sessions survive a reopen and that pruning drops expired ones.
TEST_P(StoreConformanceTest, SessionsAreDurableAndPruned) {
  const Instant now = clock_.now();
  ASSERT_TRUE(store_->sessions().login_session(candidate("key_a", "s1", "tok-1", now), now));
  ASSERT_TRUE(
      store_->sessions().login_session(candidate("key_a", "s2", "tok-2", now, hours(10)), now));
  reopen();
  auto found = store_->sessions().find_session("key_a", "s1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->token, "tok-1");
  auto pruned = store_->sessions().prune_sessions(now + hours(3));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  auto listed = store_->sessions().sessions_of_key("key_a");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].session_id, "s2");
}

SigningKeyRecord signing_key(std::string kid, Instant at) {
  return SigningKeyRecord{std::move(kid), "-----PEM " + std::to_string(to_unix_millis(at)), at,
                          std::nullopt, std::nullopt};
}

// Test that rotation makes the new key current and retires the old one with
// its overlap, atomically, and that keys survive a reopen.
TEST_P(StoreConformanceTest, SigningKeyRotationRetiresPrevious) {
  const Instant t0 = clock_.now();
  auto first = store_->signing_keys().rotate_signing_key(signing_key("sk_1", t0), t0, t0 + hours(2),
                                                         std::nullopt);
  ASSERT_TRUE(first) << first.error().description;
  EXPECT_TRUE(*first);
  const Instant t1 = t0 + hours(24);
  ASSERT_TRUE(store_->signing_keys().rotate_signing_key(signing_key("sk_2", t1), t1, t1 + hours(2),
                                                        std::nullopt));
  reopen();
  auto keys = store_->signing_keys().list_signing_keys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "sk_1");
  ASSERT_TRUE((*keys)[0].retired_at);
  EXPECT_EQ(*(*keys)[0].retired_at, t1);
  EXPECT_EQ(*(*keys)[0].verify_until, t1 + hours(2));
  EXPECT_EQ((*keys)[1].kid, "sk_2");
  EXPECT_FALSE((*keys)[1].retired_at);
  EXPECT_EQ((*keys)[1].private_key_pem, signing_key("sk_2", t1).private_key_pem);
}

// Test that a conditional rotation happens once: a current key newer than
// the bound keeps its place (concurrent automatic rotations).
TEST_P(StoreConformanceTest, ConditionalSigningKeyRotationHappensOnce) {
  const Instant t0 = clock_.now();
  ASSERT_TRUE(store_->signing_keys().rotate_signing_key(signing_key("sk_1", t0), t0, t0 + hours(2),
                                                        std::nullopt));
  auto skipped = store_->signing_keys().rotate_signing_key(signing_key("sk_2", t0 + hours(1)),
                                                           t0 + hours(1), t0 + hours(3), t0);
  ASSERT_TRUE(skipped);
  EXPECT_FALSE(*skipped);
  auto done = store_->signing_keys().rotate_signing_key(
      signing_key("sk_3", t0 + hours(1)), t0 + hours(1), t0 + hours(3), t0 + Duration(1));
  ASSERT_TRUE(done);
  EXPECT_TRUE(*done);
  auto keys = store_->signing_keys().list_signing_keys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[1].kid, "sk_3");
}

// Test that pruning deletes only retired keys past their verify_until, and
// that a taken kid is a conflict.
TEST_P(StoreConformanceTest, SigningKeysPrunedAfterOverlap) {
  const Instant t0 = clock_.now();
  ASSERT_TRUE(store_->signing_keys().rotate_signing_key(signing_key("sk_1", t0), t0, t0 + hours(2),
                                                        std::nullopt));
  ASSERT_TRUE(store_->signing_keys().rotate_signing_key(
      signing_key("sk_2", t0 + hours(1)), t0 + hours(1), t0 + hours(3), std::nullopt));
  auto early = store_->signing_keys().prune_signing_keys(t0 + hours(3));
  ASSERT_TRUE(early);
  EXPECT_EQ(*early, 0);
  auto late = store_->signing_keys().prune_signing_keys(t0 + hours(3) + Duration(1));
  ASSERT_TRUE(late);
  EXPECT_EQ(*late, 1);
  auto keys = store_->signing_keys().list_signing_keys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, "sk_2");

  auto dup = store_->signing_keys().rotate_signing_key(signing_key("sk_2", t0 + hours(5)),
                                                       t0 + hours(5), t0 + hours(7), std::nullopt);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
}

}  // namespace
}  // namespace latchkey::testing
