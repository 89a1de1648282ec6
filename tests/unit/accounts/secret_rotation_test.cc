// Client Secret rotation with overlap (docs/rotation.md) through UserService
// and ClientAuthenticator with the injected clock: both secrets work during
// the overlap, the old one is refused with reason "rotated" from its lapse
// on, also after a restart; at most two live secrets; retiring; the same
// work for every refusal.
#include <gtest/gtest.h>

#include <functional>

#include "accounts/client_authenticator.h"
#include "accounts/user_service.h"
#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SecretRotationTest : public ::testing::Test {
 protected:
  SecretRotationTest() { open(); }

  void open() {
    users_.reset();
    clients_.reset();
    store_.reset();
    store_ = std::move(*open_sqlite_store({.data_dir = dir_.path()}));
    clients_ = std::make_unique<ClientAuthenticator>(*store_, clock_);
    users_ = std::make_unique<UserService>(
        *store_, clock_, random_, [this](std::string_view id) { clients_->forget_user(id); });
  }

  Principal admin() const {
    Principal p;
    p.user_id = "usr_admin";
    p.modules = {std::string(kModuleAdmin)};
    return p;
  }

  // A service account with API access and its first credentials.
  IssuedClientCredential service_account(std::string name = "svc") {
    auto user = users_->create(admin(), {std::move(name), UserType::kService, true});
    if (!user) throw std::runtime_error(user.error().description);
    auto issued = users_->reset_access_key(admin(), user->id);
    if (!issued) throw std::runtime_error(issued.error().description);
    return *issued;
  }

  IssuedClientCredential reset(const std::string& user_id, Duration overlap) {
    auto issued = users_->reset_access_key(admin(), user_id, overlap);
    if (!issued) throw std::runtime_error(issued.error().description);
    return *issued;
  }

  std::string reason_of(const std::string& client_id, const std::string& secret) {
    auto r = clients_->authenticate(client_id, secret);
    if (r) return "ok";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidClient);
    return r.error().reason.empty() ? "wrong" : r.error().reason;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ClientAuthenticator> clients_;
  std::unique_ptr<UserService> users_;
};

// Test that both secrets work during the overlap and the old one is refused
// as "rotated" from reset + N on (not a millisecond before).
TEST_F(SecretRotationTest, OldSecretWorksUntilItsLapse) {
  const IssuedClientCredential first = service_account();
  ASSERT_EQ(reason_of(first.client_id, first.client_secret), "ok");  // cached now
  const IssuedClientCredential second = reset(first.user_id, seconds(60));
  EXPECT_EQ(second.client_id, first.client_id);
  ASSERT_TRUE(second.previous_secret_expires_at);
  EXPECT_EQ(*second.previous_secret_expires_at, clock_.now() + seconds(60));
  EXPECT_TRUE(second.replaced);
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "ok");
  EXPECT_EQ(reason_of(first.client_id, second.client_secret), "ok");
  clock_.advance(seconds(60) - milliseconds(1));
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "ok");
  clock_.advance(milliseconds(1));
  auto refused = clients_->authenticate(first.client_id, first.client_secret);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "rotated");
  EXPECT_EQ(refused.error().description.find(first.client_secret), std::string::npos);
  EXPECT_EQ(reason_of(first.client_id, second.client_secret), "ok");
}

// Test that the rule is the store's: after a restart (new store, new
// authenticator) the overlap and the lapse still hold.
TEST_F(SecretRotationTest, OverlapHoldsAfterRestart) {
  const IssuedClientCredential first = service_account();
  reset(first.user_id, seconds(30));
  open();
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "ok");
  clock_.advance(seconds(30));
  open();
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "rotated");
}

// Test that no overlap is seed 000's reset: the old secret is a wrong one at
// once (no "rotated", nothing kept), and the answer omits an expiry.
TEST_F(SecretRotationTest, NoOverlapIsTodaysReset) {
  const IssuedClientCredential first = service_account();
  ASSERT_EQ(reason_of(first.client_id, first.client_secret), "ok");
  const IssuedClientCredential second = reset(first.user_id, Duration::zero());
  EXPECT_FALSE(second.previous_secret_expires_at);
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "wrong");
  EXPECT_EQ(reason_of(first.client_id, second.client_secret), "ok");
}

// Test that a second reset during an overlap leaves two live secrets: the
// newest and the one it replaced; the oldest is a wrong secret.
TEST_F(SecretRotationTest, TwoResetsInARowKeepAtMostTwoSecrets) {
  const IssuedClientCredential first = service_account();
  const IssuedClientCredential second = reset(first.user_id, seconds(3600));
  const IssuedClientCredential third = reset(first.user_id, seconds(3600));
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "wrong");
  EXPECT_EQ(reason_of(first.client_id, second.client_secret), "ok");
  EXPECT_EQ(reason_of(first.client_id, third.client_secret), "ok");
}

// Test that retiring ends the previous secret at once ("rotated"), and that
// there is nothing to retire afterwards (404).
TEST_F(SecretRotationTest, RetiringEndsThePreviousSecretAtOnce) {
  const IssuedClientCredential first = service_account();
  const IssuedClientCredential second = reset(first.user_id, seconds(3600));
  ASSERT_EQ(reason_of(first.client_id, first.client_secret), "ok");
  auto retired = users_->retire_previous_secret(admin(), first.user_id);
  ASSERT_TRUE(retired) << retired.error().description;
  EXPECT_EQ(retired->previous_expires_at, clock_.now());
  EXPECT_EQ(reason_of(first.client_id, first.client_secret), "rotated");
  EXPECT_EQ(reason_of(first.client_id, second.client_secret), "ok");
  auto again = users_->retire_previous_secret(admin(), first.user_id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

// Test that the overlap is bounded to 0 .. 7 days, and that retiring follows
// the reset's rules (a non-admin cannot touch another user's secret; a
// key-derived token cannot either).
TEST_F(SecretRotationTest, BoundsAndPermissions) {
  const IssuedClientCredential first = service_account();
  auto too_long = users_->reset_access_key(admin(), first.user_id, seconds(604801));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidRequest);
  EXPECT_NE(too_long.error().description.find("previous_valid_for_seconds"), std::string::npos);
  EXPECT_EQ(users_->reset_access_key(admin(), first.user_id, seconds(-1)).error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_TRUE(users_->reset_access_key(admin(), first.user_id, seconds(604800)));

  Principal stranger;
  stranger.user_id = "usr_stranger";
  EXPECT_EQ(users_->retire_previous_secret(stranger, first.user_id).error().code,
            ErrorCode::kForbidden);
  Principal key_token = admin();
  key_token.key = KeyGrant{};
  EXPECT_EQ(users_->retire_previous_secret(key_token, first.user_id).error().code,
            ErrorCode::kForbidden);
}

// A clock that runs a hook the first time it is read after arm(): here a
// concurrent write between UserService's checks and its store write.
class HookClock final : public Clock {
 public:
  explicit HookClock(const Clock& inner) : inner_(inner) {}
  Instant now() const override {
    if (armed_) {
      armed_ = false;
      hook_();
    }
    return inner_.now();
  }
  void arm(std::function<void()> hook) {
    hook_ = std::move(hook);
    armed_ = true;
  }

 private:
  const Clock& inner_;
  mutable bool armed_ = false;
  std::function<void()> hook_;
};

// Test that whether a reset replaced a secret (secret.rotated) is decided
// in the store's transaction: a first enrolment by someone else that
// commits just before the write is reported as replaced.
TEST_F(SecretRotationTest, ReplacedIsDecidedInTheStoresTransaction) {
  auto user = users_->create(admin(), {"svc", UserType::kService, true});
  ASSERT_TRUE(user) << user.error().description;
  HookClock clock(clock_);
  UserService users(*store_, clock, random_, [](std::string_view) {});
  clock.arm([&] {
    ASSERT_TRUE(store_->set_client_secret(user->id, "cli_0000concurrent0000",
                                          digest_secret("concurrent"), clock_.now(), false));
  });
  auto issued = users.reset_access_key(admin(), user->id, Duration::zero());
  ASSERT_TRUE(issued) << issued.error().description;
  EXPECT_EQ(issued->client_id, "cli_0000concurrent0000");
  EXPECT_TRUE(issued->replaced);
  // And a true first enrolment is not.
  auto other = users_->create(admin(), {"svc2", UserType::kService, true});
  ASSERT_TRUE(other);
  auto first = users.reset_access_key(admin(), other->id, Duration::zero());
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->replaced);
  EXPECT_TRUE(users.reset_access_key(admin(), other->id, Duration::zero())->replaced);
}

// Test that every refusal and the success do the same work, with and
// without a previous secret, rotated included (docs/security/echo-and-timing.md):
// both constant-time comparisons, counted one by one, for a known id with
// a previous secret, a known id without one and an unknown id.
TEST_F(SecretRotationTest, RefusalsDoTheSameWorkWithPreviousSecrets) {
  const IssuedClientCredential first = service_account();
  const IssuedClientCredential second = reset(first.user_id, seconds(10));
  const IssuedClientCredential plain = service_account("svc2");  // no previous secret
  clock_.advance(seconds(10));
  struct Attempt {
    const char* what;
    std::string client_id;
    std::string secret;
  };
  const std::vector<Attempt> attempts = {
      {"unknown client", "cli_00000000000000unknown", second.client_secret},
      {"rotated secret", first.client_id, first.client_secret},
      {"current secret", first.client_id, second.client_secret},
      {"wrong secret", first.client_id, plain.client_secret},
      {"no previous, current secret", plain.client_id, plain.client_secret},
      {"no previous, wrong secret", plain.client_id, second.client_secret},
  };
  for (int round = 0; round < 2; ++round) {
    for (const Attempt& a : attempts) {
      (void)clients_->authenticate(a.client_id, a.secret);
      const AuthenticationWork work = ClientAuthenticator::last_work();
      EXPECT_EQ(work.digest_compares, 2) << a.what;
      if (round == 1) {
        EXPECT_EQ(work.store_reads, 0) << a.what;
      }
    }
  }
}

}  // namespace
}  // namespace latchkey
