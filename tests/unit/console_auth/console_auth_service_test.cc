// ConsoleAuthService (console_auth/console_auth_service.h) on a real SQLite
// store with a fake clock: sign-in, idle and absolute expiry, refresh by
// use, sign-out, revoke, disabled users, invitations.
#include "console_auth/console_auth_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "console_auth/password.h"
#include "core/secret.h"
#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey::console_auth {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kPassword = "a long enough password";

class ConsoleAuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(store) << store.error().description;
    store_ = std::move(*store);
    service_ = std::make_unique<ConsoleAuthService>(*store_, clock_, random_);
    alice_ = make_user("alice", UserType::kHuman);
  }

  User make_user(const std::string& name, UserType type) {
    NewUser user;
    user.id = "usr_" + name;
    user.name = name;
    user.type = type;
    user.api_access = true;
    user.created_at = clock_.now();
    auto created = store_->create_user(user);
    EXPECT_TRUE(created) << created.error().description;
    auto hash = hash_password(kPassword);
    EXPECT_TRUE(hash);
    EXPECT_TRUE(store_->console().set_console_password(user.id, *hash, clock_.now()));
    return *created;
  }

  SignedIn sign_in(const std::string& name = "alice") {
    auto signed_in = service_->sign_in({name, std::string(kPassword), "127.0.0.1", "test"});
    EXPECT_TRUE(signed_in) << signed_in.error().description;
    return signed_in ? *signed_in : SignedIn{};
  }

  std::string reason_of_lookup(const std::string& cookie) {
    auto view = service_->lookup(cookie);
    if (view) return "ok";
    return view.error().reason;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ConsoleAuthService> service_;
  User alice_;
};

// Test that sign-in returns a well-formed cookie secret, a CSRF token
// derived from it, and stores only digests; the lookup finds the session.
TEST_F(ConsoleAuthServiceTest, SignInMakesASession) {
  const SignedIn s = sign_in();
  EXPECT_TRUE(is_well_formed_secret(s.cookie_secret, SecretKind::kConsoleSession));
  EXPECT_TRUE(s.view.session.id.starts_with("ses_"));
  EXPECT_EQ(s.csrf_token, ConsoleAuthService::csrf_token_for(s.cookie_secret));
  EXPECT_TRUE(ConsoleAuthService::csrf_matches(s.view.session, s.csrf_token));
  EXPECT_FALSE(ConsoleAuthService::csrf_matches(s.view.session, "wrong"));
  EXPECT_FALSE(ConsoleAuthService::csrf_matches(s.view.session, ""));
  EXPECT_EQ(s.view.session.expires_at, clock_.now() + hours(12));
  EXPECT_EQ(s.view.idle_expires_at, clock_.now() + minutes(30));
  auto stored = store_->console().find_console_session(s.view.session.id);
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->secret_digest, digest_secret(s.cookie_secret));
  auto view = service_->lookup(s.cookie_secret);
  ASSERT_TRUE(view) << view.error().description;
  EXPECT_EQ(view->user.id, alice_.id);
}

// Test that a wrong password, an unknown user, a service account and a
// disabled user all get the same error.
TEST_F(ConsoleAuthServiceTest, EveryFailedSignInLooksTheSame) {
  make_user("robot", UserType::kService);
  make_user("carol", UserType::kHuman);
  UserUpdate disable;
  disable.disabled = true;
  ASSERT_TRUE(store_->update_user("usr_carol", disable, clock_.now()));
  const std::vector<SignInRequest> bad = {
      {"alice", "not the password!", "", ""},    {"nobody", std::string(kPassword), "", ""},
      {"robot", std::string(kPassword), "", ""}, {"carol", std::string(kPassword), "", ""},
      {"alice", std::string(2000, 'x'), "", ""},
  };
  for (const SignInRequest& request : bad) {
    auto result = service_->sign_in(request);
    ASSERT_FALSE(result) << request.username;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidClient) << request.username;
    EXPECT_EQ(result.error().reason, "invalid_credentials") << request.username;
    EXPECT_EQ(result.error().description, "the username or password is wrong");
  }
}

// Test the idle limit exactly: 30 minutes after the last use the session
// is refused; one millisecond earlier it is not.
TEST_F(ConsoleAuthServiceTest, IdleExpiryAtExactlyThirtyMinutes) {
  const SignedIn s = sign_in();
  clock_.advance(minutes(30) - milliseconds(1));
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "ok");  // refreshes
  clock_.advance(minutes(30) - milliseconds(1));
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "ok");
  clock_.advance(minutes(30));
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "session_expired");
}

// Test that a session used without pause still ends 12 hours after
// sign-in.
TEST_F(ConsoleAuthServiceTest, AbsoluteExpiryAtTwelveHours) {
  const SignedIn s = sign_in();
  for (int i = 0; i < 12 * 3 - 1; ++i) {
    clock_.advance(minutes(20));
    ASSERT_EQ(reason_of_lookup(s.cookie_secret), "ok") << i;
  }
  clock_.advance(minutes(20) - milliseconds(1));
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "ok");
  clock_.advance(milliseconds(1));  // exactly 12 h
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "session_expired");
}

// Test that the refresh reaches the store (coalesced) so that a new
// process sees it, and that flush_seen() writes what is pending.
TEST_F(ConsoleAuthServiceTest, RefreshIsStoredCoalesced) {
  const SignedIn s = sign_in();
  const Instant t0 = clock_.now();
  clock_.advance(seconds(10));
  ASSERT_EQ(reason_of_lookup(s.cookie_secret), "ok");
  auto stored = store_->console().find_console_session(s.view.session.id);
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->last_seen_at, t0);  // under a minute: not written yet
  clock_.advance(seconds(60));
  ASSERT_EQ(reason_of_lookup(s.cookie_secret), "ok");
  stored = store_->console().find_console_session(s.view.session.id);
  EXPECT_EQ((*stored)->last_seen_at, t0 + seconds(70));
  clock_.advance(seconds(5));
  ASSERT_EQ(reason_of_lookup(s.cookie_secret), "ok");
  ASSERT_TRUE(service_->flush_seen());
  stored = store_->console().find_console_session(s.view.session.id);
  EXPECT_EQ((*stored)->last_seen_at, t0 + seconds(75));
  // Another service over the same store (a restart) keeps the session.
  ConsoleAuthService restarted(*store_, clock_, random_);
  clock_.advance(minutes(29));
  EXPECT_TRUE(restarted.lookup(s.cookie_secret));
}

// Test sign-out and revoke: the session ends server-side, the tokens noted
// for it are handed to the revoker, and another person cannot revoke it.
TEST_F(ConsoleAuthServiceTest, SignOutAndRevokeEndTheSession) {
  std::vector<std::string> revoked;
  const SignedIn first = sign_in();
  const SignedIn second = sign_in();
  ASSERT_TRUE(service_->note_session_token(
      {"jti_1", first.view.session.id, alice_.id, clock_.now() + seconds(300)}));
  ASSERT_TRUE(service_->note_session_token(
      {"jti_old", first.view.session.id, alice_.id, clock_.now() + seconds(1)}));
  clock_.advance(seconds(1));  // jti_old has expired: nothing to revoke
  // The notes are durable: a service made after them (a restart) revokes.
  service_ = std::make_unique<ConsoleAuthService>(*store_, clock_, random_);
  service_->set_token_revoker([&](const ConsoleSessionToken& t) { revoked.push_back(t.token_id); });
  ASSERT_TRUE(service_->sign_out(first.view.session.id));
  EXPECT_EQ(reason_of_lookup(first.cookie_secret), "session_ended");
  EXPECT_EQ(revoked, std::vector<std::string>{"jti_1"});
  EXPECT_EQ(reason_of_lookup(second.cookie_secret), "ok");

  make_user("bob", UserType::kHuman);
  Principal bob;
  bob.user_id = "usr_bob";
  auto refused = service_->revoke(bob, second.view.session.id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  Principal admin;
  admin.user_id = "usr_admin";
  admin.modules = {std::string(kModuleAdmin)};
  ASSERT_TRUE(service_->revoke(admin, second.view.session.id));
  EXPECT_EQ(reason_of_lookup(second.cookie_secret), "session_ended");
  auto listed = service_->sessions_of(alice_.id);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

// Test that a token cannot be noted for a session that has ended (a
// sign-out racing the explorer token's minting): refused, so the token is
// never handed out unrevocable.
TEST_F(ConsoleAuthServiceTest, NoTokenIsNotedForAnEndedSession) {
  const SignedIn s = sign_in();
  ASSERT_TRUE(service_->sign_out(s.view.session.id));
  auto noted = service_->note_session_token(
      {"jti_late", s.view.session.id, alice_.id, clock_.now() + seconds(300)});
  ASSERT_FALSE(noted);
  EXPECT_EQ(noted.error().reason, "session_ended");
}

// Test that accepting an invitation and disabling the user revoke the
// tokens of every session of the user, read after the sessions ended (not
// from a snapshot of the open ones taken before).
TEST_F(ConsoleAuthServiceTest, EndingAllSessionsRevokesTheirTokens) {
  std::vector<std::string> revoked;
  service_->set_token_revoker([&](const ConsoleSessionToken& t) { revoked.push_back(t.token_id); });
  const SignedIn a = sign_in();
  const SignedIn b = sign_in();
  ASSERT_TRUE(service_->note_session_token(
      {"jti_a", a.view.session.id, alice_.id, clock_.now() + seconds(300)}));
  ASSERT_TRUE(service_->note_session_token(
      {"jti_b", b.view.session.id, alice_.id, clock_.now() + seconds(300)}));
  auto invitation = service_->invite(alice_.id);
  ASSERT_TRUE(invitation);
  ASSERT_TRUE(service_->accept_invitation(invitation->token, "another long password"));
  std::sort(revoked.begin(), revoked.end());
  EXPECT_EQ(revoked, (std::vector<std::string>{"jti_a", "jti_b"}));
  EXPECT_EQ(reason_of_lookup(a.cookie_secret), "session_ended");
}

// Test that disabling the user ends their sessions at the next lookup
// (and keeps them ended when the user is enabled again).
TEST_F(ConsoleAuthServiceTest, DisabledUserEndsSessions) {
  const SignedIn s = sign_in();
  UserUpdate update;
  update.disabled = true;
  ASSERT_TRUE(store_->update_user(alice_.id, update, clock_.now()));
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "user_disabled");
  update.disabled = false;
  ASSERT_TRUE(store_->update_user(alice_.id, update, clock_.now()));
  EXPECT_EQ(reason_of_lookup(s.cookie_secret), "session_ended");
}

// Test that a garbled or unknown cookie is refused without a store error.
TEST_F(ConsoleAuthServiceTest, UnknownCookiesAreRefused) {
  EXPECT_EQ(reason_of_lookup(""), "session_invalid");
  EXPECT_EQ(reason_of_lookup("lk_cs_short"), "session_invalid");
  EXPECT_EQ(reason_of_lookup(generate_secret(SecretKind::kConsoleSession, random_)),
            "session_invalid");
}

// Test the invitation's life: valid for exactly 24 h, replaced by a newer
// one, used once; accepting sets the password and ends the sessions.
TEST_F(ConsoleAuthServiceTest, InvitationLifecycle) {
  make_user("robot", UserType::kService);
  auto for_robot = service_->invite("usr_robot");
  ASSERT_FALSE(for_robot);
  EXPECT_EQ(for_robot.error().code, ErrorCode::kConflict);

  auto expired = service_->invite(alice_.id);
  ASSERT_TRUE(expired);
  EXPECT_TRUE(is_well_formed_secret(expired->token, SecretKind::kInvitation));
  EXPECT_EQ(expired->expires_at, clock_.now() + hours(24));
  clock_.advance(hours(24) - milliseconds(1));
  EXPECT_TRUE(service_->inspect_invitation(expired->token));
  clock_.advance(milliseconds(1));
  auto late = service_->inspect_invitation(expired->token);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().reason, "invitation_invalid");

  auto older = service_->invite(alice_.id);
  auto newer = service_->invite(alice_.id);
  ASSERT_TRUE(older && newer);
  EXPECT_FALSE(service_->inspect_invitation(older->token));
  auto info = service_->inspect_invitation(newer->token);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->username, "alice");

  const SignedIn before = sign_in();
  auto too_short = service_->accept_invitation(newer->token, "short");
  ASSERT_FALSE(too_short);
  EXPECT_EQ(too_short.error().reason, "password_too_short");
  ASSERT_TRUE(service_->accept_invitation(newer->token, "a brand new password"));
  EXPECT_EQ(reason_of_lookup(before.cookie_secret), "session_ended");
  auto twice = service_->accept_invitation(newer->token, "yet another password");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().reason, "invitation_invalid");
  EXPECT_FALSE(service_->sign_in({"alice", std::string(kPassword), "", ""}));
  EXPECT_TRUE(service_->sign_in({"alice", "a brand new password", "", ""}));
}

// Test the bound on concurrent password hashing: with every slot taken a
// sign-in (and accepting an invitation) answers kUnavailable
// "password_hashing_busy" after the bounded wait, without checking
// anything; once a slot is free it signs in.
TEST_F(ConsoleAuthServiceTest, PasswordHashingIsBounded) {
  ConsoleAuthOptions options;
  options.hashing_slots = 2;
  options.hashing_wait = milliseconds(0);
  service_ = std::make_unique<ConsoleAuthService>(*store_, clock_, random_, options);
  HashingGate& gate = service_->hashing_gate();
  EXPECT_EQ(gate.slots(), 2u);
  auto first = gate.acquire(milliseconds(0));
  auto second = gate.acquire(milliseconds(0));
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(gate.acquire(milliseconds(0)));
  auto busy = service_->sign_in({"alice", std::string(kPassword), "127.0.0.1", "test"});
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(busy.error().reason, "password_hashing_busy");
  auto invitation = service_->invite(alice_.id);
  ASSERT_TRUE(invitation);
  auto accepting = service_->accept_invitation(invitation->token, "another long password");
  ASSERT_FALSE(accepting);
  EXPECT_EQ(accepting.error().reason, "password_hashing_busy");
  second.reset();
  EXPECT_TRUE(service_->sign_in({"alice", std::string(kPassword), "127.0.0.1", "test"}));
  // The sign-in gave its slot back.
  EXPECT_TRUE(gate.acquire(milliseconds(0)));
}

// Test that a gate of 0 slots means the cores, at least 2.
TEST(HashingGate, DefaultsToTheCoresAtLeastTwo) {
  HashingGate gate;
  EXPECT_GE(gate.slots(), 2u);
  std::vector<HashingGate::Slot> taken;
  for (unsigned i = 0; i < gate.slots(); ++i) {
    auto slot = gate.acquire(milliseconds(0));
    ASSERT_TRUE(slot);
    taken.push_back(std::move(*slot));
  }
  EXPECT_FALSE(gate.acquire(milliseconds(1)));
  taken.pop_back();
  EXPECT_TRUE(gate.acquire(milliseconds(0)));
}

// Test that the in-memory last use of a session is forgotten when the
// session is found expired, and by prune() for sessions nobody looks up.
TEST_F(ConsoleAuthServiceTest, LastUseInMemoryIsForgotten) {
  const SignedIn a = sign_in();
  const SignedIn b = sign_in();
  EXPECT_EQ(reason_of_lookup(a.cookie_secret), "ok");
  EXPECT_EQ(reason_of_lookup(b.cookie_secret), "ok");
  EXPECT_EQ(service_->sessions_seen_in_memory(), 2u);
  clock_.advance(minutes(30));
  EXPECT_EQ(reason_of_lookup(a.cookie_secret), "session_expired");
  EXPECT_EQ(service_->sessions_seen_in_memory(), 1u);
  ASSERT_TRUE(service_->prune());
  EXPECT_EQ(service_->sessions_seen_in_memory(), 0u);
  // A live session keeps its entry through prune().
  const SignedIn c = sign_in();
  EXPECT_EQ(reason_of_lookup(c.cookie_secret), "ok");
  ASSERT_TRUE(service_->prune());
  EXPECT_EQ(service_->sessions_seen_in_memory(), 1u);
}

// Test the CSRF token's form: 64 lowercase hex digits, one per cookie.
TEST_F(ConsoleAuthServiceTest, CsrfTokenIsHex) {
  const std::string token = ConsoleAuthService::csrf_token_for("lk_cs_example");
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(token, ConsoleAuthService::csrf_token_for("lk_cs_example"));
  EXPECT_NE(token, ConsoleAuthService::csrf_token_for("lk_cs_other"));
}

}  // namespace
}  // namespace latchkey::console_auth
