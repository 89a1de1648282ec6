// AccountTokenService over the real SQLite store, with a FakeClock: the
// seed-000 lifecycle rules without HTTP and without sleeping.
#include "tokens/account_token_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/faulty_store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"

namespace latchkey {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class AccountTokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-tokens-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto store = open_sqlite_store({.data_dir = dir_});
    ASSERT_TRUE(store.has_value()) << store.error().description;
    // Disarmed unless a test arms it (store/faulty_store.h).
    store_ = make_faulty_store(std::move(*store), faults_);
    service_ = std::make_unique<AccountTokenService>(*store_, cache_, clock_, random_,
                                                     AccountTokenOptions{});
    NewUser u{.id = "usr_1",
              .name = "svc",
              .type = UserType::kService,
              .api_access = true,
              .created_at = clock_.now()};
    user_ = *store_->create_user(u);
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string issue(const std::string& ua = "ua") {
    auto t = service_->issue(user_, "cli_1", {"10.0.0.1", ua});
    EXPECT_TRUE(t.has_value());
    return t ? t->access_token : "";
  }
  std::string reason_of(const std::string& token) {
    auto r = service_->authenticate(token);
    return r ? "ok" : r.error().reason;
  }

  std::string dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  AccountTokenCache cache_;
  std::shared_ptr<FaultInjector> faults_ = std::make_shared<FaultInjector>();
  std::unique_ptr<Store> store_;
  std::unique_ptr<AccountTokenService> service_;
  User user_;
};

// Test that an issued token authenticates as its user for one year.
TEST_F(AccountTokenServiceTest, IssuedTokenAuthenticates) {
  auto issued = service_->issue(user_, "cli_1", {"10.0.0.1", "ua"});
  ASSERT_TRUE(issued.has_value());
  EXPECT_EQ(issued->expires_in, 365 * 24 * 3600);
  auto p = service_->authenticate(issued->access_token);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)->user_id, "usr_1");
  EXPECT_EQ((*p)->client_id, "cli_1");
}

// Test that a new issuance supersedes the previous token, served from cache or not.
TEST_F(AccountTokenServiceTest, IssuanceSupersedes) {
  const std::string first = issue("a");
  EXPECT_EQ(reason_of(first), "ok");  // cached now
  const std::string second = issue("b");
  EXPECT_EQ(reason_of(first), "superseded");
  EXPECT_EQ(reason_of(second), "ok");
}

// Test that expiry is checked on cached tokens and the token is removed on first use.
TEST_F(AccountTokenServiceTest, ExpiryWithFakeClock) {
  const std::string token = issue();
  EXPECT_EQ(reason_of(token), "ok");
  clock_.advance(hours(24 * 365) - seconds(1));
  EXPECT_EQ(reason_of(token), "ok");
  clock_.advance(seconds(1));
  EXPECT_EQ(reason_of(token), "expired");
  auto lookup = store_->find_account_token(digest_secret(token));
  ASSERT_TRUE(lookup.has_value());
  EXPECT_FALSE(lookup->live.has_value()) << "expired token must be removed on first use";
  EXPECT_EQ(reason_of(token), "expired");
}

// Test that tombstones are forgotten after the grace period, then tokens read as unknown.
TEST_F(AccountTokenServiceTest, TombstonesArePruned) {
  const std::string first = issue();
  issue();
  EXPECT_EQ(reason_of(first), "superseded");
  clock_.advance(hours(24 * 365) + hours(24 * 31));
  ASSERT_TRUE(service_->prune().has_value());
  EXPECT_EQ(reason_of(first), "unknown");
}

// Test that revocation ends the token at once even when it is cached.
TEST_F(AccountTokenServiceTest, RevokeEndsCachedToken) {
  const std::string token = issue();
  EXPECT_EQ(reason_of(token), "ok");
  ASSERT_TRUE(service_->revoke(token).has_value());
  EXPECT_EQ(reason_of(token), "revoked");
}

// Test that disabling in the store plus forget_user refuses the cached token.
TEST_F(AccountTokenServiceTest, DisabledUserIsRefused) {
  const std::string token = issue();
  EXPECT_EQ(reason_of(token), "ok");
  ASSERT_TRUE(store_->update_user("usr_1", {.disabled = true}, clock_.now()).has_value());
  service_->forget_user("usr_1");
  EXPECT_EQ(reason_of(token), "user_disabled");
}

// Test that API access off refuses a token that stays in the store.
TEST_F(AccountTokenServiceTest, ApiAccessOff) {
  const std::string token = issue();
  ASSERT_TRUE(store_->update_user("usr_1", {.api_access = false}, clock_.now()).has_value());
  service_->forget_user("usr_1");
  EXPECT_EQ(reason_of(token), "api_access_disabled");
}

// Test that garbage never reaches the store.
TEST_F(AccountTokenServiceTest, MalformedTokens) {
  EXPECT_EQ(reason_of(""), "malformed");
  EXPECT_EQ(reason_of("lk_at_abc"), "malformed");
  std::string token = issue();
  token.back() = token.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(reason_of(token), "malformed");
}

// Test invariant 2 under concurrency: while readers hammer authenticate()
// (served from the warm cache), a revoke, a disable or API access turned off
// takes effect the moment it returns: no call that starts afterwards succeeds.
TEST_F(AccountTokenServiceTest, NothingAuthenticatesAfterTheWriteReturns) {
  enum class Write { kRevoke, kDisable, kApiAccessOff };
  for (Write write : {Write::kRevoke, Write::kDisable, Write::kApiAccessOff}) {
    ASSERT_TRUE(
        store_->update_user("usr_1", {.disabled = false, .api_access = true}, clock_.now()));
    service_->forget_user("usr_1");
    const std::string token = issue();
    ASSERT_EQ(reason_of(token), "ok");  // warm the cache

    std::atomic<bool> written{false};
    std::atomic<int> violations{0}, calls_after{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 4; ++r) {
      readers.emplace_back([&] {
        while (calls_after.load() < 2000) {
          const bool after = written.load();
          const bool ok = service_->authenticate(token).has_value();
          if (after) {
            ++calls_after;
            if (ok) ++violations;
          }
        }
      });
    }
    switch (write) {
      case Write::kRevoke:
        ASSERT_TRUE(service_->revoke(token));
        break;
      case Write::kDisable:
        ASSERT_TRUE(store_->update_user("usr_1", {.disabled = true}, clock_.now()));
        service_->forget_user("usr_1");  // what UserService does after the commit
        break;
      case Write::kApiAccessOff:
        ASSERT_TRUE(store_->update_user("usr_1", {.api_access = false}, clock_.now()));
        service_->forget_user("usr_1");
        break;
    }
    written = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(violations, 0) << "write kind " << static_cast<int>(write);
  }
}

// Test that a revocation the store cannot confirm answers kUnavailable but
// is refused by this service all the same (fail closed); nothing was
// written, so a fresh service (a restart) accepts the token again.
TEST_F(AccountTokenServiceTest, RevocationFailsClosedWhenTheStoreFails) {
  const std::string token = issue();
  faults_->arm({.nth = 1});
  auto revoked = service_->revoke(token);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(reason_of(token), "revoked");
  faults_->arm({});
  AccountTokenCache fresh_cache;
  AccountTokenService restarted(*store_, fresh_cache, clock_, random_, AccountTokenOptions{});
  EXPECT_TRUE(restarted.authenticate(token));
}

// Test that an account token never outlives its service account nor the
// hard deadline of its Client Secret (the earliest wins, expires_in says
// so), and that without either it keeps seed 000's year.
TEST_F(AccountTokenServiceTest, LifetimeCappedAtAccountExpiryAndHardDeadline) {
  const Instant now = clock_.now();
  auto plain = service_->issue(user_, "cli_1", {"10.0.0.1", "ua"}, std::nullopt);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->expires_in, 365 * 24 * 3600);

  auto deadline = service_->issue(user_, "cli_1", {"10.0.0.1", "ua"}, now + hours(24 * 10));
  ASSERT_TRUE(deadline.has_value());
  EXPECT_EQ(deadline->expires_at, now + hours(24 * 10));
  EXPECT_EQ(deadline->expires_in, 10 * 24 * 3600);

  UserUpdate update;
  update.expires_at = now + hours(24 * 3);
  auto updated = store_->update_user(user_.id, update, now);
  ASSERT_TRUE(updated);
  user_ = *updated;
  auto capped = service_->issue(user_, "cli_1", {"10.0.0.1", "ua"}, now + hours(24 * 10));
  ASSERT_TRUE(capped.has_value());
  EXPECT_EQ(capped->expires_at, now + hours(24 * 3));
  EXPECT_EQ(capped->expires_in, 3 * 24 * 3600);
  auto earlier_deadline = service_->issue(user_, "cli_1", {"10.0.0.1", "ua"}, now + hours(24));
  ASSERT_TRUE(earlier_deadline.has_value());
  EXPECT_EQ(earlier_deadline->expires_in, 24 * 3600);
  auto p = service_->authenticate(earlier_deadline->access_token);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ((*p)->token_expires_at, now + hours(24));
  clock_.advance(hours(24));
  EXPECT_EQ(reason_of(earlier_deadline->access_token), "expired");
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

// Test that a service account's token is refused with reason
// account_expired exactly at its expires_at (1 ms before it works), from
// the cache, without waiting for the lifecycle scan to disable the account.
TEST_F(AccountTokenServiceTest, ExpiredServiceAccountIsRefusedAtItsExpiry) {
  const Instant expires = clock_.now() + hours(1);
  UserUpdate update;
  update.expires_at = expires;
  auto updated = store_->update_user(user_.id, update, clock_.now());
  ASSERT_TRUE(updated);
  user_ = *updated;
  const std::string token = issue();
  EXPECT_EQ(reason_of(token), "ok");  // cached now
  clock_.set(expires - std::chrono::milliseconds(1));
  EXPECT_EQ(reason_of(token), "ok");
  clock_.set(expires);
  EXPECT_EQ(reason_of(token), "account_expired");
  EXPECT_FALSE(store_->get_user(user_.id)->disabled);  // the scan's job, later
}

}  // namespace
}  // namespace latchkey
