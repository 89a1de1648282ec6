// Store conformance for the web console's sign-in (console_store.h):
// passwords, sessions and invitations. Runs on every backend through
// StoreConformanceTest.
#include <gtest/gtest.h>

#include "store/console_store.h"
#include "unit/store/store_conformance.h"

namespace latchkey::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

ConsoleSession session_of(std::string id, std::string user_id, const Digest& secret,
                          const Digest& csrf, Instant now) {
  ConsoleSession s;
  s.id = std::move(id);
  s.secret_digest = secret;
  s.csrf_digest = csrf;
  s.user_id = std::move(user_id);
  s.created_at = now;
  s.last_seen_at = now;
  s.expires_at = now + hours(12);
  s.ip = "127.0.0.1";
  s.user_agent = "test-agent";
  return s;
}

// Test that a console password is stored per user, replaced by a later one,
// survives a reopen, and needs an existing user.
TEST_P(StoreConformanceTest, ConsolePasswordRoundTrips) {
  const User alice = make_user("alice");
  ConsoleStore& console = store_->console();
  auto none = console.console_password_hash(alice.id);
  ASSERT_TRUE(none) << none.error().description;
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(console.set_console_password(alice.id, "$argon2id$first", clock_.now()));
  ASSERT_TRUE(console.set_console_password(alice.id, "$argon2id$second", clock_.now()));
  reopen();
  auto stored = store_->console().console_password_hash(alice.id);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, "$argon2id$second");
  auto unknown = store_->console().set_console_password("usr_nobody", "$x", clock_.now());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

// Test that the first user can be bootstrapped with its console password in
// the same transaction.
TEST_P(StoreConformanceTest, BootstrapSetsTheConsolePassword) {
  const NewUser admin = new_user("admin");
  auto done =
      store_->bootstrap_first_user(admin, new_credential(admin.id, "cli_admin"), "$argon2id$boot");
  ASSERT_TRUE(done) << done.error().description;
  EXPECT_TRUE(*done);
  auto stored = store_->console().console_password_hash(admin.id);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, "$argon2id$boot");
}

// Test that a session round-trips by secret digest and by id, that ids and
// digests are unique, and that the owner must exist.
TEST_P(StoreConformanceTest, ConsoleSessionRoundTrips) {
  const User alice = make_user("alice");
  ConsoleStore& console = store_->console();
  const Digest secret = random_digest();
  const Digest csrf = random_digest();
  const ConsoleSession s = session_of("ses_a", alice.id, secret, csrf, clock_.now());
  ASSERT_TRUE(console.create_console_session(s));
  reopen();
  auto by_secret = store_->console().find_console_session_by_secret(secret);
  ASSERT_TRUE(by_secret);
  ASSERT_TRUE(by_secret->has_value());
  const ConsoleSession& got = **by_secret;
  EXPECT_EQ(got.id, "ses_a");
  EXPECT_EQ(got.user_id, alice.id);
  EXPECT_EQ(got.secret_digest, secret);
  EXPECT_EQ(got.csrf_digest, csrf);
  EXPECT_EQ(got.created_at, s.created_at);
  EXPECT_EQ(got.expires_at, s.expires_at);
  EXPECT_EQ(got.ip, "127.0.0.1");
  EXPECT_EQ(got.user_agent, "test-agent");
  EXPECT_FALSE(got.ended_at.has_value());
  auto by_id = store_->console().find_console_session("ses_a");
  ASSERT_TRUE(by_id);
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ((*by_id)->secret_digest, secret);
  auto missing = store_->console().find_console_session_by_secret(random_digest());
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  auto same_id = store_->console().create_console_session(
      session_of("ses_a", alice.id, random_digest(), csrf, clock_.now()));
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code, ErrorCode::kConflict);
  auto same_secret = store_->console().create_console_session(
      session_of("ses_b", alice.id, secret, csrf, clock_.now()));
  ASSERT_FALSE(same_secret);
  EXPECT_EQ(same_secret.error().code, ErrorCode::kConflict);
  auto no_owner = store_->console().create_console_session(
      session_of("ses_c", "usr_nobody", random_digest(), csrf, clock_.now()));
  ASSERT_FALSE(no_owner);
  EXPECT_EQ(no_owner.error().code, ErrorCode::kNotFound);
}

// Test that "last seen" only moves forward, and that ending a session is
// once: the open list drops it, a second end says false.
TEST_P(StoreConformanceTest, ConsoleSessionSeenAndEnded) {
  const User alice = make_user("alice");
  ConsoleStore& console = store_->console();
  const Instant t0 = clock_.now();
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_1", alice.id, random_digest(), random_digest(), t0)));
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_2", alice.id, random_digest(), random_digest(), t0 + seconds(1))));
  ASSERT_TRUE(console.note_console_sessions_seen({{"ses_1", t0 + minutes(5)}}));
  ASSERT_TRUE(console.note_console_sessions_seen({{"ses_1", t0 + minutes(2)}}));  // older: ignored
  auto one = console.find_console_session("ses_1");
  ASSERT_TRUE(one && one->has_value());
  EXPECT_EQ((*one)->last_seen_at, t0 + minutes(5));

  auto open = console.open_console_sessions_of_user(alice.id);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ(open->at(0).id, "ses_1");  // oldest first
  EXPECT_EQ(open->at(1).id, "ses_2");

  auto ended = console.end_console_session("ses_1", t0 + minutes(6), "signed_out");
  ASSERT_TRUE(ended);
  EXPECT_TRUE(*ended);
  auto again = console.end_console_session("ses_1", t0 + minutes(7), "revoked");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto gone = console.end_console_session("ses_unknown", t0, "revoked");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto after = console.find_console_session("ses_1");
  ASSERT_TRUE(after && after->has_value());
  ASSERT_TRUE((*after)->ended_at.has_value());
  EXPECT_EQ(*(*after)->ended_at, t0 + minutes(6));
  EXPECT_EQ((*after)->end_reason, "signed_out");
  open = console.open_console_sessions_of_user(alice.id);
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().id, "ses_2");
}

// Test that every open session of one user ends at once, and no other's.
TEST_P(StoreConformanceTest, ConsoleSessionsOfAUserEnd) {
  const User alice = make_user("alice");
  const User bob = make_user("bob");
  ConsoleStore& console = store_->console();
  const Instant now = clock_.now();
  for (const char* id : {"ses_a1", "ses_a2"}) {
    ASSERT_TRUE(console.create_console_session(
        session_of(id, alice.id, random_digest(), random_digest(), now)));
  }
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_b1", bob.id, random_digest(), random_digest(), now)));
  auto ended = console.end_console_sessions_of_user(alice.id, now, "user_disabled");
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, 2);
  auto alice_open = console.open_console_sessions_of_user(alice.id);
  ASSERT_TRUE(alice_open);
  EXPECT_TRUE(alice_open->empty());
  auto bob_open = console.open_console_sessions_of_user(bob.id);
  ASSERT_TRUE(bob_open);
  EXPECT_EQ(bob_open->size(), 1u);
}

// Test that pruning deletes sessions past their absolute end or ended
// before the cut, and keeps the others.
TEST_P(StoreConformanceTest, ConsoleSessionsPruned) {
  const User alice = make_user("alice");
  ConsoleStore& console = store_->console();
  const Instant now = clock_.now();
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_live", alice.id, random_digest(), random_digest(), now)));
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_ended", alice.id, random_digest(), random_digest(), now)));
  ASSERT_TRUE(console.end_console_session("ses_ended", now, "signed_out"));
  auto pruned = console.prune_console_sessions(now + seconds(1));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  pruned = console.prune_console_sessions(now + hours(13));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);
  auto left = console.find_console_session("ses_live");
  ASSERT_TRUE(left);
  EXPECT_FALSE(left->has_value());
}

// Test that tokens noted for a session are listed until they expire, need
// an existing session, and are pruned after expiry.
TEST_P(StoreConformanceTest, ConsoleSessionTokens) {
  const User alice = make_user("alice");
  ConsoleStore& console = store_->console();
  const Instant now = clock_.now();
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_t", alice.id, random_digest(), random_digest(), now)));
  ASSERT_TRUE(console.add_console_session_token({"jti_b", "ses_t", alice.id, now + seconds(300)}));
  ASSERT_TRUE(console.add_console_session_token({"jti_a", "ses_t", alice.id, now + seconds(10)}));
  auto twice = console.add_console_session_token({"jti_a", "ses_t", alice.id, now});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  auto orphan = console.add_console_session_token({"jti_c", "ses_none", alice.id, now});
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().reason, "session_ended");
  // A session that ended (a sign-out racing the minting) takes no token.
  ASSERT_TRUE(console.create_console_session(
      session_of("ses_ended", alice.id, random_digest(), random_digest(), now)));
  ASSERT_TRUE(console.end_console_session("ses_ended", now, "signed_out"));
  auto late = console.add_console_session_token({"jti_d", "ses_ended", alice.id, now + seconds(9)});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().reason, "session_ended");
  reopen();
  auto of_user = store_->console().console_session_tokens_of_user(alice.id, now);
  ASSERT_TRUE(of_user);
  ASSERT_EQ(of_user->size(), 2u);
  EXPECT_EQ(of_user->at(0).token_id, "jti_a");
  EXPECT_EQ(of_user->at(1).token_id, "jti_b");
  auto listed = store_->console().console_session_tokens("ses_t", now);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).token_id, "jti_a");
  EXPECT_EQ(listed->at(0).user_id, alice.id);
  EXPECT_EQ(listed->at(0).expires_at, now + seconds(10));
  auto later = store_->console().console_session_tokens("ses_t", now + seconds(10));
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().token_id, "jti_b");
  ASSERT_TRUE(store_->console().prune_console_sessions(now + seconds(11)));
  auto pruned = store_->console().console_session_tokens("ses_t", now);
  ASSERT_TRUE(pruned);
  ASSERT_EQ(pruned->size(), 1u);
  EXPECT_EQ(pruned->front().token_id, "jti_b");
}

// Test that a new invitation replaces the user's earlier one, and that
// accepting is once only, before expiry: it sets the password and ends the
// user's sessions in the same transaction.
TEST_P(StoreConformanceTest, ConsoleInvitationIsOneTime) {
  const User alice = make_user("alice");
  ConsoleStore& console = store_->console();
  const Instant now = clock_.now();
  const Digest first = random_digest();
  const Digest second = random_digest();
  ASSERT_TRUE(console.put_console_invitation({first, alice.id, now, now + hours(24), {}}));
  ASSERT_TRUE(console.put_console_invitation({second, alice.id, now, now + hours(24), {}}));
  auto replaced = console.find_console_invitation(first);
  ASSERT_TRUE(replaced);
  EXPECT_FALSE(replaced->has_value());
  auto old_accept = console.accept_console_invitation(first, "$argon2id$x", now);
  ASSERT_FALSE(old_accept);
  EXPECT_EQ(old_accept.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(old_accept.error().reason, "invitation_invalid");

  ASSERT_TRUE(console.create_console_session(
      session_of("ses_old", alice.id, random_digest(), random_digest(), now)));
  auto expired = console.accept_console_invitation(second, "$argon2id$x", now + hours(24));
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().reason, "invitation_invalid");

  auto accepted = console.accept_console_invitation(second, "$argon2id$new", now + hours(1));
  ASSERT_TRUE(accepted) << accepted.error().description;
  EXPECT_EQ(accepted->user_id, alice.id);
  auto hash = console.console_password_hash(alice.id);
  ASSERT_TRUE(hash && hash->has_value());
  EXPECT_EQ(**hash, "$argon2id$new");
  auto open = console.open_console_sessions_of_user(alice.id);
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
  auto used = console.find_console_invitation(second);
  ASSERT_TRUE(used && used->has_value());
  EXPECT_TRUE((*used)->used_at.has_value());

  auto twice = console.accept_console_invitation(second, "$argon2id$again", now + hours(2));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().reason, "invitation_invalid");
  hash = console.console_password_hash(alice.id);
  ASSERT_TRUE(hash && hash->has_value());
  EXPECT_EQ(**hash, "$argon2id$new");

  auto no_user =
      console.put_console_invitation({random_digest(), "usr_nobody", now, now + hours(1), {}});
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace latchkey::testing
