// Tests of JwtService (tokens/jwt_service.h) on a real SQLite store with a
// fake API-key authority and a FakeClock: the exchanges of seeds 003/004,
// verification with the verified-token cache and in-memory revocation,
// sessions, and signing-key rotation.
#include "tokens/jwt_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "store/revoked_token_store.h"
#include "store/signing_key_store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "tokens/jws_es256.h"
#include "unit/store/temp_dir.h"

namespace latchkey {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::CounterRandom;
using testing::FakeClock;
using testing::TempDir;

constexpr std::string_view kGoodKey = "lk_key_good";
constexpr std::string_view kAdminKey = "lk_key_admin";

// The same user acting with their own account token: a token obtained from an
// API key never administers (Principal::is_admin).
Principal account_of(Principal principal) {
  principal.key.reset();
  return principal;
}

class FakeKeys final : public ApiKeyAuthority {
 public:
  Result<ApiKeyFacts> authenticate_key(std::string_view api_key) override {
    std::lock_guard lock(mu_);
    const auto it = by_secret_.find(std::string(api_key));
    if (it == by_secret_.end()) {
      return fail(Error::invalid_token("unknown", "the API key is not known"));
    }
    if (!active_[it->second.key_id]) return fail(Error::invalid_token("revoked", "deactivated"));
    return it->second;
  }
  Result<ApiKeyFacts> find_key(std::string_view key_id) override {
    std::lock_guard lock(mu_);
    ++find_key_calls;
    for (const auto& [secret, facts] : by_secret_) {
      if (facts.key_id == key_id) return facts;
    }
    return fail(Error::not_found("no such key"));
  }
  bool key_active(std::string_view key_id) override {
    std::lock_guard lock(mu_);
    return active_[std::string(key_id)];
  }
  void add(std::string_view secret, ApiKeyFacts facts) {
    std::lock_guard lock(mu_);
    active_[facts.key_id] = true;
    by_secret_[std::string(secret)] = std::move(facts);
  }
  void deactivate(std::string_view key_id) {
    std::lock_guard lock(mu_);
    active_[std::string(key_id)] = false;
  }
  int find_key_calls = 0;

 private:
  std::mutex mu_;
  std::map<std::string, ApiKeyFacts> by_secret_;
  std::map<std::string, bool, std::less<>> active_;
};

class JwtServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(store) << store.error().description;
    store_ = std::move(*store);
    NewUser owner{
        .id = "usr_owner", .name = "owner", .api_access = true, .created_at = clock_.now()};
    ASSERT_TRUE(store_->create_user(owner));
    NewUser admin{.id = "usr_admin",
                  .name = "admin",
                  .api_access = true,
                  .modules = {std::string(kModuleAdmin)},
                  .created_at = clock_.now()};
    ASSERT_TRUE(store_->create_user(admin));
    keys_.add(kGoodKey, ApiKeyFacts{"key_good", "usr_owner", "••••good", "rol_reader", true,
                                    clock_.now() + hours(24 * 365)});
    keys_.add(kAdminKey,
              ApiKeyFacts{"key_admin", "usr_admin", "••••dmin", "", false, std::nullopt});
    start();
  }

  void start() {
    service_.reset();
    auto service = JwtService::create(*store_, keys_, clock_, random_, options_);
    ASSERT_TRUE(service) << service.error().description;
    service_ = std::move(*service);
  }

  static nlohmann::json part(const std::string& token, int index) {
    std::size_t begin = 0;
    for (int i = 0; i < index; ++i) begin = token.find('.', begin) + 1;
    const std::size_t end = token.find('.', begin);
    return nlohmann::json::parse(*base64url_decode(token.substr(begin, end - begin)));
  }

  std::string reason(std::string_view token) {
    auto r = service_->authenticate(token);
    EXPECT_FALSE(r);
    return r ? "accepted" : r.error().reason;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  FakeClock clock_;
  CounterRandom random_;
  FakeKeys keys_;
  JwtOptions options_{.issuer = "latchkey", .audience = "latchkey"};
  std::unique_ptr<JwtService> service_;
};

// Test that seed 004's exchange issues a 900 s ES256 JWT with every claim.
TEST_F(JwtServiceTest, ExchangeAccessIssuesFifteenMinuteJwt) {
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued) << issued.error().description;
  EXPECT_EQ(issued->expires_in, 900);
  const auto header = part(issued->access_token, 0);
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["typ"], "at+jwt");  // RFC 9068
  EXPECT_TRUE(header["kid"].is_string());
  const auto claims = part(issued->access_token, 1);
  EXPECT_EQ(claims["sub"], "usr_owner");
  EXPECT_EQ(claims["key_id"], "key_good");
  EXPECT_EQ(claims["client_id"], "key_good");  // the API key is the client
  EXPECT_EQ(claims["scope"], "read");
  EXPECT_EQ(claims["role"], "rol_reader");
  EXPECT_EQ(claims["iss"], "latchkey");
  EXPECT_EQ(claims["aud"], "latchkey");
  EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 900);
  EXPECT_TRUE(claims["jti"].is_string());
  // Each call: a new token.
  auto again = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(again);
  EXPECT_NE(again->access_token, issued->access_token);
}

// Test that an unknown or deactivated key gets the authority's 401.
TEST_F(JwtServiceTest, BadKeysRefused) {
  auto unknown = service_->exchange_access("lk_key_nope", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().reason, "unknown");
  keys_.deactivate("key_good");
  auto revoked = service_->login(kGoodKey, "", {});
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().reason, "revoked");
}

// Test that a JWT authenticates as its key's owner with the key's grant.
TEST_F(JwtServiceTest, AuthenticateBuildsPrincipalWithKeyGrant) {
  auto issued = service_->login(kGoodKey, "s-1", {});
  ASSERT_TRUE(issued);
  auto principal = service_->authenticate(issued->access_token);
  ASSERT_TRUE(principal) << principal.error().description;
  EXPECT_EQ((*principal)->user_id, "usr_owner");
  ASSERT_TRUE((*principal)->key);
  EXPECT_EQ((*principal)->key->key_id, "key_good");
  EXPECT_EQ((*principal)->key->masked_key, "••••good");
  EXPECT_EQ((*principal)->key->role_id, "rol_reader");
  EXPECT_TRUE((*principal)->key->read_only);
  EXPECT_EQ((*principal)->key->session_id, "s-1");
}

// Test that the signature is verified once: the second use is a cache hit.
TEST_F(JwtServiceTest, CacheHitSkipsSignatureVerification) {
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  ASSERT_TRUE(service_->authenticate(issued->access_token));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(service_->authenticate(issued->access_token));
  const JwtStats stats = service_->stats();
  EXPECT_EQ(stats.signature_verifications, 1u);
  EXPECT_EQ(stats.cache_hits, 5u);
  EXPECT_EQ(stats.cached_tokens, 1u);
  // The key record (a store read in production) is fetched on the miss only.
  EXPECT_EQ(keys_.find_key_calls, 1);
}

// Test that a deactivated key's token is refused at once, also from the cache.
TEST_F(JwtServiceTest, DeactivatedKeyRefusedOnCacheHit) {
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  ASSERT_TRUE(service_->authenticate(issued->access_token));
  keys_.deactivate("key_good");
  EXPECT_EQ(reason(issued->access_token), "revoked");
}

// Test that disabling the owner, or taking API access away, refuses the
// cached token once the user-changed hook ran.
TEST_F(JwtServiceTest, OwnerStateRefusesToken) {
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  ASSERT_TRUE(service_->authenticate(issued->access_token));
  ASSERT_TRUE(store_->update_user("usr_owner", UserUpdate{.api_access = false}, clock_.now()));
  service_->forget_user("usr_owner");
  EXPECT_EQ(reason(issued->access_token), "api_access_disabled");
  ASSERT_TRUE(store_->update_user("usr_owner", UserUpdate{.disabled = true}, clock_.now()));
  service_->forget_user("usr_owner");
  EXPECT_EQ(reason(issued->access_token), "user_disabled");
  auto refused = service_->exchange_access(kGoodKey, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "user_disabled");
}

// Test that a service account's key-derived token is refused with reason
// account_expired exactly at its expires_at (1 ms before it works), also
// from the cache and before anything disabled the account, and that its key
// can no longer be exchanged (issue 14 item 7).
TEST_F(JwtServiceTest, ExpiredServiceAccountRefusedAtItsExpiry) {
  const Instant expires = clock_.now() + hours(1);
  NewUser service{.id = "usr_svc",
                  .name = "svc",
                  .type = UserType::kService,
                  .api_access = true,
                  .created_at = clock_.now(),
                  .expires_at = expires};
  ASSERT_TRUE(store_->create_user(service));
  keys_.add("lk_key_svc", ApiKeyFacts{"key_svc", "usr_svc", "••••_svc", "", false,
                                      clock_.now() + hours(24 * 365)});
  auto issued = service_->login("lk_key_svc", "", {});
  ASSERT_TRUE(issued) << issued.error().description;
  ASSERT_TRUE(service_->authenticate(issued->access_token));  // cached now
  clock_.set(expires - std::chrono::milliseconds(1));
  EXPECT_TRUE(service_->authenticate(issued->access_token));
  clock_.set(expires);
  EXPECT_EQ(reason(issued->access_token), "account_expired");
  auto refused = service_->exchange_access("lk_key_svc", {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "account_expired");
}

// Test that a JWT never outlives its service account nor the hard deadline
// of its credential: exp (and expires_in) is the earliest of the TTL, the
// key's expiry, the account's expires_at and the deadline; without any of
// them the seeds' 900 s, 7200 s and OAuth 3600 s stay.
TEST_F(JwtServiceTest, LifetimeCappedAtAccountExpiryAndHardDeadline) {
  clock_.set(std::chrono::time_point_cast<std::chrono::seconds>(clock_.now()));
  const Instant now = clock_.now();
  auto user = store_->get_user("usr_owner");
  ASSERT_TRUE(user);
  EXPECT_EQ(service_->exchange_access(kGoodKey, {})->expires_in, 900);
  EXPECT_EQ(service_->login(kGoodKey, "plain", {})->expires_in, 7200);
  EXPECT_EQ(service_->issue_client_credentials(*user, "cli_1", false)->expires_in, 3600);

  // The key's (or secret's) hard deadline, 10 minutes away.
  auto deadline = service_->exchange_access(kGoodKey, {}, now + seconds(600));
  ASSERT_TRUE(deadline);
  EXPECT_EQ(deadline->expires_in, 600);
  EXPECT_EQ(part(deadline->access_token, 1)["exp"].get<std::int64_t>(),
            std::chrono::duration_cast<seconds>((now + seconds(600)).time_since_epoch()).count());
  EXPECT_EQ(service_->login(kGoodKey, "deadline", {}, now + seconds(600))->expires_in, 600);
  EXPECT_EQ(
      service_->issue_client_credentials(*user, "cli_1", false, std::nullopt, now + seconds(600))
          ->expires_in,
      600);

  // A service account expiring in 30 minutes.
  NewUser service{.id = "usr_svc",
                  .name = "svc",
                  .type = UserType::kService,
                  .api_access = true,
                  .created_at = now,
                  .expires_at = now + seconds(1800)};
  auto created = store_->create_user(service);
  ASSERT_TRUE(created);
  keys_.add("lk_key_svc",
            ApiKeyFacts{"key_svc", "usr_svc", "••••_svc", "", false, now + hours(24 * 365)});
  EXPECT_EQ(service_->exchange_access("lk_key_svc", {})->expires_in, 900);
  auto login = service_->login("lk_key_svc", "", {});
  ASSERT_TRUE(login);
  EXPECT_EQ(login->expires_in, 1800);
  EXPECT_EQ(login->expires_at, now + seconds(1800));
  auto oauth = service_->issue_client_credentials(*created, "cli_svc", false);
  ASSERT_TRUE(oauth);
  EXPECT_EQ(oauth->expires_in, 1800);
  EXPECT_EQ(part(oauth->access_token, 1)["exp"].get<std::int64_t>(),
            std::chrono::duration_cast<seconds>((now + seconds(1800)).time_since_epoch()).count());
  // The earliest wins.
  EXPECT_EQ(service_->login("lk_key_svc", "s2", {}, now + seconds(1200))->expires_in, 1200);
}

// Test that tokens expire with the clock: 900 s and 7200 s.
TEST_F(JwtServiceTest, TokensExpireWithTheClock) {
  auto access = service_->exchange_access(kGoodKey, {});
  auto login = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(access && login);
  EXPECT_EQ(login->expires_in, 7200);
  ASSERT_TRUE(service_->authenticate(access->access_token));
  clock_.advance(seconds(899));
  EXPECT_TRUE(service_->authenticate(access->access_token));
  clock_.advance(seconds(1));
  EXPECT_EQ(reason(access->access_token), "expired");
  EXPECT_TRUE(service_->authenticate(login->access_token));
  clock_.advance(seconds(7200 - 900));
  EXPECT_EQ(reason(login->access_token), "expired");
}

// Test seed 003: the same (key, session) gets the same token while valid,
// with the remaining lifetime; a new session id gets a new token; no
// session id is the default session.
TEST_F(JwtServiceTest, LoginReusesTokenPerSession) {
  auto first = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->reused);
  EXPECT_EQ(first->session_id, "default");
  clock_.advance(seconds(600));
  auto second = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->reused);
  EXPECT_EQ(second->access_token, first->access_token);
  EXPECT_EQ(second->expires_in, 6600);
  auto other = service_->login(kGoodKey, "worker-2", {});
  ASSERT_TRUE(other);
  EXPECT_NE(other->access_token, first->access_token);
  clock_.advance(seconds(6600));
  auto renewed = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(renewed);
  EXPECT_FALSE(renewed->reused);
  EXPECT_NE(renewed->access_token, first->access_token);
}

// Test that a bad session id is a 400.
TEST_F(JwtServiceTest, BadSessionIdRefused) {
  for (std::string bad : {std::string(129, 'a'), std::string("has space"), std::string("a/b")}) {
    auto r = service_->login(kGoodKey, bad, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  }
}

// Test that revoking a session refuses its token at once (also when
// cached), that the next login gets a new token, and who may revoke.
TEST_F(JwtServiceTest, RevokedSessionRefusedImmediately) {
  auto issued = service_->login(kGoodKey, "s-1", {});
  ASSERT_TRUE(issued);
  auto owner = service_->authenticate(issued->access_token);
  ASSERT_TRUE(owner);
  // A read-only key's token cannot revoke (invariant 4).
  auto read_only = service_->revoke_session(**owner, "key_good", "s-1");
  ASSERT_FALSE(read_only);
  EXPECT_EQ(read_only.error().code, ErrorCode::kForbidden);
  // Another user does not even learn that the key exists.
  auto admin_token = service_->exchange_access(kAdminKey, {});
  ASSERT_TRUE(admin_token);
  auto admin = service_->authenticate(admin_token->access_token);
  ASSERT_TRUE(admin);
  Principal stranger = **owner;
  stranger.user_id = "usr_stranger";
  stranger.key.reset();
  auto hidden = service_->list_sessions(stranger, "key_good");
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);

  auto listed = service_->list_sessions(account_of(**admin), "key_good");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].session_id, "s-1");

  ASSERT_TRUE(service_->revoke_session(account_of(**admin), "key_good", "s-1"));
  EXPECT_EQ(reason(issued->access_token), "revoked");
  auto unknown = service_->revoke_session(account_of(**admin), "key_good", "nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  // The session stays revoked while its token could still be valid: a login
  // on it is refused, so the revocation is never overwritten.
  auto again = service_->login(kGoodKey, "s-1", {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().reason, "session_revoked");
  // A key's token never administers, even when its owner is an admin.
  auto as_key = service_->revoke_session(**admin, "key_good", "s-1");
  ASSERT_FALSE(as_key);

  auto fresh = service_->login(kGoodKey, "s-2", {});
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->access_token, issued->access_token);
  EXPECT_TRUE(service_->authenticate(fresh->access_token));
  EXPECT_EQ(reason(issued->access_token), "revoked");
}

// Test that revocations and signing keys survive a restart.
TEST_F(JwtServiceTest, StateSurvivesRestart) {
  auto kept = service_->login(kGoodKey, "kept", {});
  auto revoked = service_->login(kGoodKey, "gone", {});
  ASSERT_TRUE(kept && revoked);
  auto admin_token = service_->exchange_access(kAdminKey, {});
  auto admin = service_->authenticate(admin_token->access_token);
  ASSERT_TRUE(admin);
  ASSERT_TRUE(service_->revoke_session(account_of(**admin), "key_good", "gone"));
  start();
  EXPECT_TRUE(service_->authenticate(kept->access_token));
  EXPECT_EQ(reason(revoked->access_token), "revoked");
  auto again = service_->login(kGoodKey, "kept", {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->access_token, kept->access_token);
}

// Test rotation with overlap: a token signed by the previous key verifies
// until it expires; the previous key stays in the JWKS until then, and
// leaves it (and the store) afterwards.
TEST_F(JwtServiceTest, RotationOverlap) {
  auto old_token = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(old_token);
  const std::string old_kid = part(old_token->access_token, 0)["kid"];
  clock_.advance(seconds(100));
  auto rotated = service_->rotate_signing_key();
  ASSERT_TRUE(rotated);
  EXPECT_NE(rotated->kid, old_kid);
  EXPECT_TRUE(rotated->current);

  auto new_token = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(new_token);
  EXPECT_EQ(part(new_token->access_token, 0)["kid"], rotated->kid);
  // Verified from scratch after a restart (no cache): the old key still works.
  start();
  EXPECT_TRUE(service_->authenticate(old_token->access_token));
  auto jwks = nlohmann::json::parse(service_->jwks_json());
  ASSERT_EQ(jwks["keys"].size(), 2u);
  EXPECT_EQ(jwks["keys"][0]["kid"], old_kid);
  EXPECT_EQ(jwks["keys"][0]["kty"], "EC");
  EXPECT_EQ(jwks["keys"][0]["crv"], "P-256");
  EXPECT_EQ(jwks["keys"][0]["alg"], "ES256");
  EXPECT_FALSE(jwks["keys"][0].contains("d"));

  // The old token expires (7200 s after issue); the old key stays until
  // 7200 s after its retirement, then leaves the JWKS.
  clock_.advance(seconds(7100));
  EXPECT_EQ(reason(old_token->access_token), "expired");
  EXPECT_EQ(nlohmann::json::parse(service_->jwks_json())["keys"].size(), 2u);
  clock_.advance(seconds(101));
  EXPECT_EQ(nlohmann::json::parse(service_->jwks_json())["keys"].size(), 1u);
  ASSERT_TRUE(service_->maintain());
  auto stored = store_->signing_keys().list_signing_keys();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), 1u);
  EXPECT_EQ(service_->signing_keys().size(), 1u);
}

// Test automatic rotation once the current key is older than the period.
TEST_F(JwtServiceTest, AutomaticRotation) {
  options_.rotation_period = hours(24);
  start();
  const std::string first = service_->signing_keys().at(0).kid;
  clock_.advance(hours(23));
  ASSERT_TRUE(service_->maintain());
  EXPECT_EQ(service_->signing_keys().size(), 1u);
  clock_.advance(hours(2));
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  EXPECT_NE(part(issued->access_token, 0)["kid"], first);
  EXPECT_EQ(service_->signing_keys().size(), 2u);
}

// Test that a token never outlives its key.
TEST_F(JwtServiceTest, TokenCappedAtKeyExpiry) {
  keys_.add("lk_key_short", ApiKeyFacts{"key_short", "usr_owner", "••••hort", "", false,
                                        clock_.now() + seconds(300)});
  auto issued = service_->login("lk_key_short", "", {});
  ASSERT_TRUE(issued);
  EXPECT_LE(issued->expires_in, 300);
}

// Test that an account-token-shaped string is not a JWT.
TEST_F(JwtServiceTest, ShapeCheck) {
  EXPECT_FALSE(JwtService::looks_like_jwt("lk_at_0123456789"));
  EXPECT_EQ(reason("lk_at_0123456789"), "malformed");
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  EXPECT_TRUE(JwtService::looks_like_jwt(issued->access_token));
}

// Test invariant 2 under concurrency: once revoke_session() or a key
// deactivation has returned, no authentication of the token succeeds.
TEST_F(JwtServiceTest, NoAuthenticationSucceedsAfterRevocationReturns) {
  auto issued = service_->login(kGoodKey, "hot", {});
  auto other = service_->exchange_access(kGoodKey, {});
  auto admin_token = service_->exchange_access(kAdminKey, {});
  ASSERT_TRUE(issued && other && admin_token);
  auto admin = service_->authenticate(admin_token->access_token);
  ASSERT_TRUE(admin);
  std::atomic<bool> session_revoked{false};
  std::atomic<bool> key_deactivated{false};
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const bool revoked_before = session_revoked.load();
        if (service_->authenticate(issued->access_token) && revoked_before) ++violations;
        const bool deactivated_before = key_deactivated.load();
        if (service_->authenticate(other->access_token) && deactivated_before) ++violations;
      }
    });
  }
  std::this_thread::yield();
  ASSERT_TRUE(service_->revoke_session(account_of(**admin), "key_good", "hot"));
  session_revoked.store(true);
  keys_.deactivate("key_good");
  key_deactivated.store(true);
  for (int i = 0; i < 1000; ++i) std::this_thread::yield();
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0);
}

// The current signing key (kid and key), read from the store as a holder
// of the database could.
std::pair<std::string, Es256Key> current_signing_key(Store& store) {
  auto records = store.signing_keys().list_signing_keys();
  EXPECT_TRUE(records && !records->empty());
  const SigningKeyRecord* newest = &records->front();
  for (const SigningKeyRecord& r : *records) {
    if (r.created_at > newest->created_at) newest = &r;
  }
  auto key = Es256Key::from_private_pem(newest->private_key_pem);
  EXPECT_TRUE(key);
  return {newest->kid, std::move(*key)};
}

// The token's header and payload with a fresh signature: another valid
// spelling of the same token (ECDSA signatures are randomized).
std::string respelled(const std::string& token, const Es256Key& key) {
  const std::string input = token.substr(0, token.rfind('.'));
  return input + "." + base64url_encode(*key.sign(input));
}

// Test issue 13 item 1: a session's revocation is by the session and its
// token's jti, not by the token's bytes, so another spelling of the token
// (same claims, another valid signature) is refused too, cached or not, and
// after a restart.
TEST_F(JwtServiceTest, RevokedSessionRefusedInEverySpelling) {
  auto issued = service_->login(kGoodKey, "s-spelled", {});
  auto admin_token = service_->exchange_access(kAdminKey, {});
  ASSERT_TRUE(issued && admin_token);
  const auto [kid, key] = current_signing_key(*store_);
  const std::string other = respelled(issued->access_token, key);
  ASSERT_NE(other, issued->access_token);
  ASSERT_TRUE(service_->authenticate(other));  // valid, and now cached
  auto admin = service_->authenticate(admin_token->access_token);
  ASSERT_TRUE(admin);
  ASSERT_TRUE(service_->revoke_session(account_of(**admin), "key_good", "s-spelled"));
  EXPECT_EQ(reason(issued->access_token), "revoked");
  EXPECT_EQ(reason(other), "revoked");
  EXPECT_EQ(reason(respelled(issued->access_token, key)), "revoked");
  start();
  EXPECT_EQ(reason(issued->access_token), "revoked");
  EXPECT_EQ(reason(other), "revoked");
}

// Test that a jti revoked by RFC 7009 is refused in another spelling too,
// and after a restart.
TEST_F(JwtServiceTest, RevokedJtiRefusedInEverySpelling) {
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  const auto [kid, key] = current_signing_key(*store_);
  const std::string other = respelled(issued->access_token, key);
  auto principal = service_->authenticate(issued->access_token);
  ASSERT_TRUE(principal);
  ASSERT_TRUE(service_->revoke_token_id((*principal)->token_id, (*principal)->user_id,
                                        (*principal)->token_expires_at));
  EXPECT_EQ(reason(issued->access_token), "revoked");
  EXPECT_EQ(reason(other), "revoked");
  start();
  EXPECT_EQ(reason(other), "revoked");
}

// Test that another node's revocation (anyone who can NOTIFY can send one)
// is kept no longer than a token of this node can live: an expiry in the
// year 33658 does not block the jti or the session forever.
TEST_F(JwtServiceTest, AnotherNodesRevocationIsKeptNoLongerThanATokenLives) {
  const Instant far = from_unix_millis(999'999'999'999'999);
  service_->refuse_token_id("jti_forever", far);
  service_->refuse_login_session("key_good", "forever", far);
  EXPECT_EQ(service_->stats().revoked_tokens, 2u);
  // The longest default lifetime (a login token, 2 h) and the 5-minute slack.
  clock_.advance(hours(2) + minutes(5) + seconds(1));
  ASSERT_TRUE(service_->maintain());
  EXPECT_EQ(service_->stats().revoked_tokens, 0u);
}

// Test that past kMaxRemoteRevocations another node's revocations are no
// longer kept in memory (bounded), and that verifications then read the
// store instead: a revocation only the store has is refused.
TEST_F(JwtServiceTest, PastTheCapRevocationsAreReadFromTheStore) {
  auto issued = service_->exchange_access(kGoodKey, {});
  ASSERT_TRUE(issued);
  auto principal = service_->authenticate(issued->access_token);
  ASSERT_TRUE(principal);
  const Instant until = clock_.now() + minutes(10);
  for (std::size_t i = 0; i < kMaxRemoteRevocations; ++i) {
    service_->refuse_token_id("jti_flood_" + std::to_string(i), until);
  }
  EXPECT_EQ(service_->stats().revoked_tokens, kMaxRemoteRevocations);
  // The one that does not fit: in the store only, as its node committed it.
  ASSERT_TRUE(store_->revoked_tokens().revoke_jwt(RevokedJwt{(*principal)->token_id,
                                                             (*principal)->user_id, clock_.now(),
                                                             (*principal)->token_expires_at}));
  service_->refuse_token_id((*principal)->token_id, (*principal)->token_expires_at);
  EXPECT_EQ(service_->stats().revoked_tokens, kMaxRemoteRevocations);  // not kept
  EXPECT_EQ(reason(issued->access_token), "revoked");
}

// Test that a session revocation ends with its token: once the token
// expired, the same session id logs in again and its new token works, even
// before maintenance prunes the revocation.
TEST_F(JwtServiceTest, SessionRevocationEndsWithItsToken) {
  auto issued = service_->login(kGoodKey, "cycle", {});
  auto admin_token = service_->exchange_access(kAdminKey, {});
  ASSERT_TRUE(issued && admin_token);
  auto admin = service_->authenticate(admin_token->access_token);
  ASSERT_TRUE(admin);
  ASSERT_TRUE(service_->revoke_session(account_of(**admin), "key_good", "cycle"));
  clock_.advance(seconds(7200));
  auto again = service_->login(kGoodKey, "cycle", {});
  ASSERT_TRUE(again) << again.error().description;
  EXPECT_FALSE(again->reused);
  EXPECT_TRUE(service_->authenticate(again->access_token));
}

// Test the issuer: set_issuer() names the iss of new tokens and the only
// one accepted; a session's stored token from before an issuer change (an
// upgrade) is replaced at the next login instead of being handed back.
TEST_F(JwtServiceTest, IssuerChangeReplacesStoredSessionToken) {
  auto before = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(before);
  EXPECT_EQ(part(before->access_token, 1)["iss"], "latchkey");
  start();
  service_->set_issuer("https://auth.example.com");
  EXPECT_EQ(service_->issuer(), "https://auth.example.com");
  EXPECT_EQ(reason(before->access_token), "wrong_issuer");
  auto after = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->reused);
  EXPECT_EQ(part(after->access_token, 1)["iss"], "https://auth.example.com");
  EXPECT_TRUE(service_->authenticate(after->access_token));
  auto reused = service_->login(kGoodKey, "", {});
  ASSERT_TRUE(reused);
  EXPECT_TRUE(reused->reused);
  EXPECT_EQ(reused->access_token, after->access_token);
}

}  // namespace
}  // namespace latchkey
