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
