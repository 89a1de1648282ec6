// ClientAuthenticator's cache of verified clients: a change to the user
// (secret reset, disable, API access) takes effect on the very next
// authentication, as seed 000 requires of a reset.
#include "accounts/client_authenticator.h"

#include <gtest/gtest.h>

#include "accounts/user_service.h"
#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "unit/store/temp_dir.h"

namespace latchkey {
namespace {

class ClientAuthenticatorTest : public ::testing::Test {
 protected:
  ClientAuthenticatorTest()
      : store_(std::move(*open_sqlite_store({.data_dir = dir_.path()}))),
        clients_(*store_),
        users_(*store_, clock_, random_,
               [this](std::string_view id) { clients_.forget_user(id); }) {
    admin_.user_id = "usr_admin";
    admin_.modules = {std::string(kModuleAdmin)};
  }

  // A service account with API access and its credentials.
  IssuedClientCredential service_account() {
    auto user =
        users_.create(admin_, {"svc-" + std::to_string(++accounts_), UserType::kService, true});
    if (!user) throw std::runtime_error(user.error().description);
    auto issued = users_.reset_access_key(admin_, user->id);
    if (!issued) throw std::runtime_error(issued.error().description);
    return *issued;
  }
  int accounts_ = 0;

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  std::unique_ptr<Store> store_;
  ClientAuthenticator clients_;
  UserService users_;
  Principal admin_;
};

// Test that a verified client is cached and a wrong secret of a cached
// client is still refused.
TEST_F(ClientAuthenticatorTest, CachesVerifiedClients) {
  const IssuedClientCredential c = service_account();
  ASSERT_TRUE(clients_.authenticate(c.client_id, c.client_secret));
  EXPECT_EQ(clients_.cached(), 1u);
  ASSERT_TRUE(clients_.authenticate(c.client_id, c.client_secret));
  auto other = service_account();
  auto refused = clients_.authenticate(c.client_id, other.client_secret);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidClient);
}

// Test that a secret reset ends the cached secret at once (seed 000).
TEST_F(ClientAuthenticatorTest, ResetEndsTheCachedSecretAtOnce) {
  const IssuedClientCredential old = service_account();
  ASSERT_TRUE(clients_.authenticate(old.client_id, old.client_secret));
  auto fresh = users_.reset_access_key(admin_, old.user_id);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(clients_.authenticate(old.client_id, old.client_secret));
  EXPECT_TRUE(clients_.authenticate(fresh->client_id, fresh->client_secret));
}

// Test that disabling the user, or turning off API access, refuses the
// cached client at once with the reason.
TEST_F(ClientAuthenticatorTest, DisableAndApiAccessTakeEffectAtOnce) {
  const IssuedClientCredential c = service_account();
  ASSERT_TRUE(clients_.authenticate(c.client_id, c.client_secret));
  ASSERT_TRUE(users_.update(admin_, c.user_id, {.api_access = false}));
  auto no_access = clients_.authenticate(c.client_id, c.client_secret);
  ASSERT_FALSE(no_access);
  EXPECT_EQ(no_access.error().reason, "api_access_disabled");
  ASSERT_TRUE(users_.update(admin_, c.user_id, {.disabled = true, .api_access = true}));
  auto disabled = clients_.authenticate(c.client_id, c.client_secret);
  ASSERT_FALSE(disabled);
  EXPECT_EQ(disabled.error().reason, "user_disabled");
  ASSERT_TRUE(users_.update(admin_, c.user_id, {.disabled = false}));
  EXPECT_TRUE(clients_.authenticate(c.client_id, c.client_secret));
}

}  // namespace
}  // namespace latchkey

namespace latchkey {
namespace {

// Test that an unknown client id, a wrong secret and a disabled user's right
// secret do the same work, first seen (two store reads and one digest
// comparison) and repeated (one comparison, from memory), so that response
// times do not tell them apart (docs/security/echo-and-timing.md).
TEST_F(ClientAuthenticatorTest, UnknownWrongAndDisabledDoTheSameWork) {
  const IssuedClientCredential known = service_account();
  const IssuedClientCredential disabled = service_account();
  ASSERT_TRUE(users_.update(admin_, disabled.user_id, {.disabled = true}));
  const IssuedClientCredential other = service_account();  // a well-formed, wrong secret

  struct Attempt {
    const char* what;
    std::string client_id;
    std::string secret;
    std::string reason;
  };
  const std::vector<Attempt> attempts = {
      {"unknown client", "cli_00000000000000unknown", other.client_secret, ""},
      {"wrong secret", known.client_id, other.client_secret, ""},
      {"disabled user", disabled.client_id, disabled.client_secret, "user_disabled"},
  };
  for (int round = 0; round < 3; ++round) {
    const AuthenticationWork expected =
        round == 0 ? AuthenticationWork{.store_reads = 2, .digest_compares = 2}
                   : AuthenticationWork{.store_reads = 0, .digest_compares = 2};
    for (const Attempt& a : attempts) {
      auto r = clients_.authenticate(a.client_id, a.secret);
      ASSERT_FALSE(r) << a.what;
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidClient) << a.what;
      EXPECT_EQ(r.error().reason, a.reason) << a.what;
      const AuthenticationWork work = ClientAuthenticator::last_work();
      EXPECT_EQ(work, expected) << a.what << " in round " << round << ": " << work.store_reads
                                << " reads, " << work.digest_compares << " comparisons";
    }
  }
  // The right secret of a known client costs the same as a refusal.
  ASSERT_TRUE(clients_.authenticate(known.client_id, known.client_secret));
  EXPECT_EQ(ClientAuthenticator::last_work(),
            (AuthenticationWork{.store_reads = 0, .digest_compares = 2}));
}

// Test that a change to any user forgets the ids remembered as unknown (a
// reset hands out a new client id, which might have been probed before).
TEST_F(ClientAuthenticatorTest, RememberedUnknownIdsAreForgottenOnChange) {
  const IssuedClientCredential c = service_account();
  ASSERT_FALSE(clients_.authenticate("cli_00000000000000probe1", c.client_secret));
  ASSERT_FALSE(clients_.authenticate("cli_00000000000000probe1", c.client_secret));
  EXPECT_EQ(ClientAuthenticator::last_work().store_reads, 0);  // remembered
  ASSERT_TRUE(users_.reset_access_key(admin_, c.user_id));
  ASSERT_FALSE(clients_.authenticate("cli_00000000000000probe1", c.client_secret));
  EXPECT_EQ(ClientAuthenticator::last_work().store_reads, 2);  // read again after the reset
}

// Test that the first start's admin is not stored when its console password
// was delivered without a hash (it would never work); with one it is.
TEST_F(ClientAuthenticatorTest, BootstrapAdminNeedsItsPasswordHash) {
  testing::TempDir fresh_dir;
  auto fresh_store = open_sqlite_store({.data_dir = fresh_dir.path()});
  ASSERT_TRUE(fresh_store);
  UserService users(**fresh_store, clock_, random_, [](std::string_view) {});
  auto pending = users.prepare_bootstrap_admin("admin");
  ASSERT_TRUE(pending && *pending);
  ASSERT_FALSE((*pending)->issued.console_password.empty());
  auto refused = users.commit_bootstrap_admin(**pending);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
  auto none = (*fresh_store)->find_user_by_name("admin");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  (*pending)->console_password_hash = "$argon2id$v=19$m=65536,t=2,p=1$placeholder";
  EXPECT_TRUE(users.commit_bootstrap_admin(**pending));
}

}  // namespace
}  // namespace latchkey
