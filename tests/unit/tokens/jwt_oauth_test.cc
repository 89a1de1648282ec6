// Tests of the OAuth client-credentials JWTs of JwtService
// (issue_client_credentials, revoke_token_id; docs/oauth.md) and of their
// claims in tokens/jwt.h, on a real SQLite store with a FakeClock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/revoked_token_store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "tokens/jwt.h"
#include "tokens/jwt_service.h"
#include "unit/store/temp_dir.h"

namespace latchkey {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::CounterRandom;
using testing::FakeClock;
using testing::TempDir;

// No API keys at all: client-credentials tokens must not need one.
class NoKeys final : public ApiKeyAuthority {
 public:
  Result<ApiKeyFacts> authenticate_key(std::string_view) override {
    return fail(Error::invalid_token("unknown", "no keys here"));
  }
  Result<ApiKeyFacts> find_key(std::string_view) override {
    return fail(Error::not_found("no keys here"));
  }
  bool key_active(std::string_view) override { return false; }
};

class JwtOAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(store) << store.error().description;
    store_ = std::move(*store);
    NewUser admin{.id = "usr_admin",
                  .name = "admin",
                  .api_access = true,
                  .modules = {std::string(kModuleAdmin)},
                  .created_at = clock_.now()};
    ASSERT_TRUE(store_->create_user(admin));
    auto user = store_->get_user("usr_admin");
    ASSERT_TRUE(user);
    admin_ = *user;
    start();
  }
  void start() {
    service_.reset();
    auto service = JwtService::create(*store_, keys_, clock_, random_, options_);
    ASSERT_TRUE(service) << service.error().description;
    service_ = std::move(*service);
  }
  static nlohmann::json claims_of(const std::string& token) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    return nlohmann::json::parse(*base64url_decode(token.substr(first + 1, second - first - 1)));
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  CounterRandom random_;
  NoKeys keys_;
  JwtOptions options_{.issuer = "latchkey", .audience = "latchkey"};
  std::unique_ptr<JwtService> service_;
  User admin_;
};

// Test the claims of a client-credentials token: gty, client_id, scope, no
// key_id, lifetime oauth_access_token_ttl.
TEST_F(JwtOAuthTest, IssuesClientCredentialsClaims) {
  auto issued = service_->issue_client_credentials(admin_, "cli_admin", false);
  ASSERT_TRUE(issued) << issued.error().description;
  EXPECT_EQ(issued->expires_in, 3600);
  const auto claims = claims_of(issued->access_token);
  EXPECT_EQ(claims["gty"], "client_credentials");
  EXPECT_EQ(claims["client_id"], "cli_admin");
  EXPECT_EQ(claims["sub"], "usr_admin");
  EXPECT_EQ(claims["scope"], "read write");
  EXPECT_FALSE(claims.contains("key_id"));
  EXPECT_TRUE(claims["jti"].is_string());
}

// Test that a full-scope token is its user (administers when the user
// does), and a "read" token is read-only and never administers.
TEST_F(JwtOAuthTest, ReadScopeNarrowsPrincipal) {
  auto full = service_->issue_client_credentials(admin_, "cli_admin", false);
  auto read = service_->issue_client_credentials(admin_, "cli_admin", true);
  ASSERT_TRUE(full && read);
  auto full_p = service_->authenticate(full->access_token);
  ASSERT_TRUE(full_p) << full_p.error().description;
  EXPECT_FALSE((*full_p)->key);
  EXPECT_EQ((*full_p)->client_id, "cli_admin");
  EXPECT_TRUE((*full_p)->is_admin());
  EXPECT_TRUE((*full_p)->may_write());
  auto read_p = service_->authenticate(read->access_token);
  ASSERT_TRUE(read_p);
  EXPECT_TRUE((*read_p)->read_only);
  EXPECT_FALSE((*read_p)->is_admin());
  EXPECT_FALSE((*read_p)->may_write());
  EXPECT_EQ(claims_of(read->access_token)["scope"], "read");
}

// Test that revocation by jti takes effect at once, survives a restart of
// the service (loaded from the store) and is pruned after expiry.
TEST_F(JwtOAuthTest, RevocationByJtiDurableAndPruned) {
  auto issued = service_->issue_client_credentials(admin_, "cli_admin", false);
  ASSERT_TRUE(issued);
  auto principal = service_->authenticate(issued->access_token);
  ASSERT_TRUE(principal);
  ASSERT_TRUE(service_->revoke_token_id((*principal)->token_id, "usr_admin",
                                        (*principal)->token_expires_at));
  auto refused = service_->authenticate(issued->access_token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "revoked");
  // Twice is fine.
  EXPECT_TRUE(service_->revoke_token_id((*principal)->token_id, "usr_admin",
                                        (*principal)->token_expires_at));

  start();  // a restart: the revocation comes back from the store
  auto after_restart = service_->authenticate(issued->access_token);
  ASSERT_FALSE(after_restart);
  EXPECT_EQ(after_restart.error().reason, "revoked");

  clock_.advance(seconds(3600));
  ASSERT_TRUE(service_->maintain());
  auto left = store_->revoked_tokens().revoked_jwts(clock_.now() - hours(2));
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
  auto expired = service_->authenticate(issued->access_token);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().reason, "expired");
}

// Test that the signature still pins everything: a gty other than
// client_credentials, or one mixed with key_id, is malformed.
TEST_F(JwtOAuthTest, ForeignGrantClaimsRefused) {
  auto key = Es256Key::generate();
  ASSERT_TRUE(key);
  JwtClaims claims;
  claims.issuer = "latchkey";
  claims.audience = "latchkey";
  claims.subject = "usr_admin";
  claims.scope = "read write";
  claims.grant = "password";
  claims.client_id = "cli_x";
  claims.issued_at = Instant{std::chrono::seconds(1'800'000'000)};
  claims.expires_at = claims.issued_at + hours(1);
  claims.jwt_id = "jti_x";
  auto token = encode_jwt(claims, "kid", *key);
  ASSERT_TRUE(token);
  auto lookup = [&](std::string_view) { return std::make_shared<const Es256Key>(*key); };
  auto verified = verify_jwt(*token, lookup, {"latchkey", "latchkey", claims.issued_at});
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().reason, "malformed");

  claims.grant = std::string(kClientCredentialsGrant);
  token = encode_jwt(claims, "kid", *key);
  ASSERT_TRUE(token);
  verified = verify_jwt(*token, lookup, {"latchkey", "latchkey", claims.issued_at});
  ASSERT_TRUE(verified) << verified.error().description;
  EXPECT_EQ(verified->grant, "client_credentials");
  EXPECT_EQ(verified->client_id, "cli_x");
  EXPECT_TRUE(verified->key_id.empty());
}

}  // namespace
}  // namespace latchkey
