// Cross-node invalidation over the real services (server/invalidation_wiring.h):
// two nodes in one process share one store, each with its own caches and
// in-memory revocation state, joined by a loopback bus that delivers
// payloads like LISTEN/NOTIFY would. Every revoke, disable, deactivate,
// session revoke, signing-key change and permission change made on A is
// refused (or seen) on B; a node whose subscription is lost serves nothing
// stale because it reads the store until it has reloaded.
#include "server/invalidation_wiring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "accounts/client_authenticator.h"
#include "accounts/user_service.h"
#include "api/key_authority.h"
#include "authz/permission_service.h"
#include "invalidation/receiver.h"
#include "keys/key_service.h"
#include "store/store_url.h"
#include "support/fake_clock.h"
#include "support/postgres_server.h"
#include "tokens/account_token_service.h"
#include "tokens/jwt_service.h"
#include "tokens/principal_of_user.h"
#include "unit/store/temp_dir.h"

namespace latchkey::server {
namespace {

using invalidation::Message;
using testing::FakeClock;
using testing::TempDir;

// Delivers every payload to every connected bus of the network (the
// publisher's own included: its receiver skips it, as over PostgreSQL).
class LoopbackBus final : public invalidation::Bus {
 public:
  LoopbackBus(invalidation::LocalState& state, CacheTrust& trust, std::string id,
              std::vector<LoopbackBus*>& network)
      : receiver_(state, trust, std::move(id)), network_(network) {
    network_.push_back(this);
    EXPECT_TRUE(receiver_.on_subscribed());
  }
  ~LoopbackBus() override { std::erase(network_, this); }

  void publish(const Message& m) override {
    ++published;
    kinds += static_cast<char>(m.kind);
    auto payloads = invalidation::encode(receiver_.node_id(), {m});
    ASSERT_TRUE(payloads);
    for (LoopbackBus* peer : network_) {
      if (!peer->connected_) continue;  // its listener is down: the payload is lost
      for (const std::string& p : *payloads) peer->receiver_.on_payload(p);
      // What PgNotifyBus's listener does (after min_resync_interval).
      if (peer->receiver_.resync_pending()) (void)peer->receiver_.on_subscribed();
    }
  }
  bool degraded() const override { return receiver_.degraded(); }
  std::string describe() const override { return "loopback"; }

  void disconnect() {
    connected_ = false;
    receiver_.on_lost("test: listener down");
  }
  void reconnect() {
    connected_ = true;
    ASSERT_TRUE(receiver_.on_subscribed());
  }
  int published = 0;
  std::string kinds;  // one letter per message, in order

 private:
  invalidation::Receiver receiver_;
  std::vector<LoopbackBus*>& network_;
  bool connected_ = true;
};

// One latchkeyd's services on the shared store, wired as main.cc does.
struct Node {
  Node(Store& store, const Clock& clock, Random& random, std::string id,
       std::vector<LoopbackBus*>* network)
      : clients(store, clock),
        account_tokens(store, token_cache, clock, random, {}),
        permissions(store, clock, random),
        keys(store.keys(), clock, random),
        authority(keys, store, clock),
        users(store, clock, random, [this](std::string_view user) {
          forget_here(user);
          invalidation->user_changed(user);
        }) {
    EXPECT_TRUE(keys.load());
    auto created = JwtService::create(store, authority, clock, random, {});
    EXPECT_TRUE(created);
    jwts = std::move(*created);
    forget_here = [this](std::string_view user) {
      clients.forget_user(user);
      account_tokens.forget_user(user);
      permissions.on_user_changed(user);
      jwts->forget_user(user);
    };
    InvalidationTargets targets{clients, account_tokens, permissions, keys, *jwts, forget_here};
    if (network == nullptr) {  // one node alone: what the embedded store gets
      invalidation = Invalidation::create("", targets, random, {});
    } else {
      invalidation = Invalidation::create_with(
          [&](invalidation::LocalState& state, CacheTrust& trust) {
            auto bus = std::make_unique<LoopbackBus>(state, trust, id, *network);
            loopback = bus.get();
            return bus;
          },
          targets, {});
    }
  }

  AccountTokenCache token_cache;
  ClientAuthenticator clients;
  AccountTokenService account_tokens;
  authz::PermissionService permissions;
  keys::KeyService keys;
  api::KeyServiceAuthority authority;
  std::unique_ptr<JwtService> jwts;
  std::function<void(std::string_view)> forget_here;
  UserService users;
  std::unique_ptr<Invalidation> invalidation;
  LoopbackBus* loopback = nullptr;
};

class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store({.data_dir = dir_.path()});
    ASSERT_TRUE(store) << store.error().description;
    store_ = std::move(*store);
    auto u = store_->create_user(NewUser{
        .id = "usr_owner", .name = "owner", .api_access = true, .created_at = clock_.now()});
    ASSERT_TRUE(u);
    owner_ = *u;
    auto adm = store_->create_user(NewUser{.id = "usr_admin",
                                           .name = "admin",
                                           .api_access = true,
                                           .modules = {std::string(kModuleAdmin)},
                                           .created_at = clock_.now()});
    ASSERT_TRUE(adm);
    admin_ = *adm;
    a_ = std::make_unique<Node>(*store_, clock_, random_, "node-a", network());
    b_ = std::make_unique<Node>(*store_, clock_, random_, "node-b", network());
  }

  virtual std::vector<LoopbackBus*>* network() { return &network_; }

  Principal actor(const User& user) {
    return *principal_of_user(user, "cli_test", clock_.now(), clock_.now() + std::chrono::hours(1));
  }

  // A key of the owner created on A, and its secret.
  std::pair<std::string, std::string> owner_key() {
    keys::CreateKeyRequest request;
    request.name = "ci";
    request.expires_in_days = 30;
    auto created = a_->keys.create(actor(owner_), request);
    EXPECT_TRUE(created) << created.error().description;
    return {created->key.id, created->api_key};
  }

  static std::string reason_of(const Result<std::shared_ptr<const Principal>>& r) {
    return r ? "accepted" : r.error().reason;
  }

  TempDir dir_;
  FakeClock clock_;
  OsRandom random_;
  std::unique_ptr<Store> store_;
  User owner_;
  User admin_;
  std::vector<LoopbackBus*> network_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(TwoNodes, AnAccountTokenRevokedOnAIsRefusedOnB) {
  auto issued = a_->account_tokens.issue(owner_, "cli_x", {});
  ASSERT_TRUE(issued);
  ASSERT_TRUE(b_->account_tokens.authenticate(issued->access_token));  // cached on B now
  ASSERT_TRUE(a_->account_tokens.revoke(issued->access_token));
  EXPECT_EQ(reason_of(b_->account_tokens.authenticate(issued->access_token)), "revoked");
}

TEST_F(TwoNodes, AnIssuanceOnASupersedesTheTokenCachedOnB) {
  auto first = a_->account_tokens.issue(owner_, "cli_x", {});
  ASSERT_TRUE(first);
  ASSERT_TRUE(b_->account_tokens.authenticate(first->access_token));
  ASSERT_TRUE(a_->account_tokens.issue(owner_, "cli_x", {}));
  EXPECT_EQ(reason_of(b_->account_tokens.authenticate(first->access_token)), "superseded");
}

TEST_F(TwoNodes, AUserDisabledOnAIsRefusedOnB) {
  auto issued = a_->account_tokens.issue(owner_, "cli_x", {});
  ASSERT_TRUE(issued);
  const auto [key_id, secret] = owner_key();
  auto jwt = a_->jwts->exchange_access(secret, {});
  ASSERT_TRUE(jwt);
  ASSERT_TRUE(b_->account_tokens.authenticate(issued->access_token));
  ASSERT_TRUE(b_->jwts->authenticate(jwt->access_token));
  UserUpdate disable;
  disable.disabled = true;
  ASSERT_TRUE(a_->users.update(actor(admin_), owner_.id, disable));
  EXPECT_EQ(reason_of(b_->account_tokens.authenticate(issued->access_token)), "user_disabled");
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt->access_token)), "user_disabled");
}

TEST_F(TwoNodes, AKeyDeactivatedOnAIsRefusedOnB) {
  const auto [key_id, secret] = owner_key();
  auto jwt = a_->jwts->exchange_access(secret, {});
  ASSERT_TRUE(jwt);
  ASSERT_TRUE(b_->jwts->authenticate(jwt->access_token));  // B knows the key now
  ASSERT_TRUE(b_->jwts->exchange_access(secret, {}));
  ASSERT_TRUE(a_->keys.deactivate(actor(owner_), key_id));
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt->access_token)), "revoked");
  auto again = b_->jwts->exchange_access(secret, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().reason, "revoked");
  EXPECT_FALSE(b_->keys.is_active(key_id, clock_.now()));
}

TEST_F(TwoNodes, AJwtRevokedOnAIsRefusedOnB) {
  const auto [key_id, secret] = owner_key();
  auto jwt = a_->jwts->exchange_access(secret, {});
  ASSERT_TRUE(jwt);
  auto on_b = b_->jwts->authenticate(jwt->access_token);
  ASSERT_TRUE(on_b);
  ASSERT_TRUE(a_->jwts->revoke_token_id((*on_b)->token_id, owner_.id, jwt->expires_at));
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt->access_token)), "revoked");
}

TEST_F(TwoNodes, ASessionRevokedOnAIsRefusedOnB) {
  const auto [key_id, secret] = owner_key();
  auto login = a_->jwts->login(secret, "s1", {});
  ASSERT_TRUE(login);
  ASSERT_TRUE(b_->jwts->authenticate(login->access_token));
  ASSERT_TRUE(a_->jwts->revoke_login_session(key_id, "s1"));
  EXPECT_EQ(reason_of(b_->jwts->authenticate(login->access_token)), "revoked");
}

TEST_F(TwoNodes, ASigningKeyRotatedOnAIsKnownOnB) {
  auto rotated = a_->jwts->rotate_signing_key();
  ASSERT_TRUE(rotated);
  const auto [key_id, secret] = owner_key();
  auto jwt = a_->jwts->exchange_access(secret, {});  // signed with the new key
  ASSERT_TRUE(jwt);
  EXPECT_TRUE(b_->jwts->authenticate(jwt->access_token));
  const auto b_keys = b_->jwts->signing_keys();
  EXPECT_TRUE(std::any_of(b_keys.begin(), b_keys.end(), [&](const SigningKeyInfo& k) {
    return k.kid == rotated->kid && k.current;
  }));
}

TEST_F(TwoNodes, APermissionChangeOnAIsSeenOnB) {
  auto role = a_->permissions.create_role(actor(admin_), {.name = "readers"});
  ASSERT_TRUE(role);
  auto before = b_->permissions.is_member(owner_.id, role->id);  // cached on B
  ASSERT_TRUE(before);
  EXPECT_FALSE(*before);
  ASSERT_TRUE(a_->permissions.grant_role(actor(admin_), owner_.id, role->id));
  auto after = b_->permissions.is_member(owner_.id, role->id);
  ASSERT_TRUE(after);
  EXPECT_TRUE(*after);
}

TEST_F(TwoNodes, ADegradedNodeReadsTheStoreAndServesNothingStale) {
  auto token = a_->account_tokens.issue(owner_, "cli_x", {});
  ASSERT_TRUE(token);
  const auto [key_id, secret] = owner_key();
  auto jwt = a_->jwts->exchange_access(secret, {});
  ASSERT_TRUE(jwt);
  auto login = a_->jwts->login(secret, "s1", {});
  ASSERT_TRUE(login);
  auto other_user = store_->create_user(
      NewUser{.id = "usr_other", .name = "other", .api_access = true, .created_at = clock_.now()});
  ASSERT_TRUE(other_user);
  auto other_token = a_->account_tokens.issue(*other_user, "cli_y", {});
  ASSERT_TRUE(other_token);
  // Everything cached on B.
  ASSERT_TRUE(b_->account_tokens.authenticate(token->access_token));
  auto jwt_on_b = b_->jwts->authenticate(jwt->access_token);
  ASSERT_TRUE(jwt_on_b);
  ASSERT_TRUE(b_->jwts->authenticate(login->access_token));
  ASSERT_TRUE(b_->account_tokens.authenticate(other_token->access_token));

  // B's listener is lost: from now on B misses every message.
  b_->loopback->disconnect();
  EXPECT_TRUE(b_->invalidation->bus().degraded());
  ASSERT_TRUE(a_->account_tokens.revoke(token->access_token));
  ASSERT_TRUE(a_->jwts->revoke_token_id((*jwt_on_b)->token_id, owner_.id, jwt->expires_at));
  ASSERT_TRUE(a_->jwts->revoke_login_session(key_id, "s1"));

  // B reads the store: each revocation is refused, what is still valid
  // is accepted (degraded is not down).
  EXPECT_EQ(reason_of(b_->account_tokens.authenticate(token->access_token)), "revoked");
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt->access_token)), "revoked");
  EXPECT_EQ(reason_of(b_->jwts->authenticate(login->access_token)), "revoked");
  EXPECT_TRUE(b_->account_tokens.authenticate(other_token->access_token));
  // A key deactivated while B is away is refused too.
  auto jwt2 = a_->jwts->exchange_access(secret, {});
  ASSERT_TRUE(jwt2);
  ASSERT_TRUE(a_->keys.deactivate(actor(owner_), key_id));
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt2->access_token)), "revoked");
  // Nothing was cached meanwhile.
  EXPECT_EQ(b_->token_cache.size(), 0u);
  EXPECT_EQ(b_->jwts->stats().cached_tokens, 0u);

  // Back: reloaded from the store, so memory alone refuses them now, and
  // valid tokens are cached again.
  b_->loopback->reconnect();
  EXPECT_FALSE(b_->invalidation->bus().degraded());
  EXPECT_EQ(reason_of(b_->account_tokens.authenticate(token->access_token)), "revoked");
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt->access_token)), "revoked");
  EXPECT_EQ(reason_of(b_->jwts->authenticate(login->access_token)), "revoked");
  EXPECT_EQ(reason_of(b_->jwts->authenticate(jwt2->access_token)), "revoked");
  EXPECT_FALSE(b_->keys.is_active(key_id, clock_.now()));
  EXPECT_TRUE(b_->account_tokens.authenticate(other_token->access_token));
  EXPECT_EQ(b_->token_cache.size(), 1u);
}

TEST_F(TwoNodes, EveryEvictionPointPublishes) {
  a_->loopback->kinds.clear();
  auto issued = a_->account_tokens.issue(owner_, "cli_x", {});  // a
  ASSERT_TRUE(issued);
  ASSERT_TRUE(a_->account_tokens.revoke(issued->access_token));   // t
  ASSERT_TRUE(a_->account_tokens.revoke_all_of_user(owner_.id));  // a
  const auto [key_id, secret] = owner_key();
  auto jwt = a_->jwts->exchange_access(secret, {});
  ASSERT_TRUE(jwt);
  ASSERT_TRUE(a_->jwts->revoke_token_id("jti_x", owner_.id, jwt->expires_at));  // j
  ASSERT_TRUE(a_->jwts->login(secret, "s1", {}));
  ASSERT_TRUE(a_->jwts->revoke_login_session(key_id, "s1"));                         // s
  ASSERT_TRUE(a_->jwts->rotate_signing_key());                                       // g
  ASSERT_TRUE(a_->keys.set_limits(actor(admin_), key_id, {}));                       // k
  ASSERT_TRUE(a_->keys.set_allowed_origins(actor(owner_), key_id, {"10.0.0.0/8"}));  // k
  ASSERT_TRUE(a_->keys.deactivate(actor(owner_), key_id));                           // k
  ASSERT_TRUE(a_->permissions.create_application(
      actor(admin_), {.name = "app", .steps = {{.name = "origin", .origin = true}}}));  // p
  UserUpdate update;
  update.api_access = false;
  ASSERT_TRUE(a_->users.update(actor(admin_), owner_.id, update));  // u
  EXPECT_EQ(a_->loopback->kinds, "atajsgkkkpu");
}

// The control: without a bus between them (each node alone, as with the
// embedded store), B keeps serving what it cached.
class TwoLonelyNodes : public TwoNodes {
 protected:
  std::vector<LoopbackBus*>* network() override { return nullptr; }
};

TEST_F(TwoLonelyNodes, WithoutTheBusBWouldServeARevokedTokenFromItsCache) {
  auto issued = a_->account_tokens.issue(owner_, "cli_x", {});
  ASSERT_TRUE(issued);
  ASSERT_TRUE(b_->account_tokens.authenticate(issued->access_token));
  ASSERT_TRUE(a_->account_tokens.revoke(issued->access_token));
  EXPECT_TRUE(b_->account_tokens.authenticate(issued->access_token));  // stale
  EXPECT_FALSE(b_->invalidation->bus().degraded());
}

TEST(InvalidationWiring, TheStoreUrlChoosesTheBus) {
  EXPECT_TRUE(is_postgres_url("postgres://u@127.0.0.1:5432/db"));
  EXPECT_TRUE(is_postgres_url("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_url("host=127.0.0.1 dbname=latchkey"));
  EXPECT_FALSE(is_postgres_url(""));
  EXPECT_FALSE(is_postgres_url("/var/lib/latchkey"));
  EXPECT_FALSE(is_postgres_url("redis://h:6379"));
}

// latchkeyd on a PostgreSQL store: the LISTEN/NOTIFY bus on the store's own
// URL, degraded until it has subscribed.
TEST(InvalidationWiring, APostgresStoreGetsTheListenNotifyBus) {
  auto& pg = testing::shared_postgres_server();
  ASSERT_TRUE(pg.ok());
  TempDir dir;
  auto store = open_sqlite_store({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  FakeClock clock;
  OsRandom random;
  Node node(**store, clock, random, "unused", nullptr);
  auto invalidation = Invalidation::create(pg.url(),
                                           {node.clients, node.account_tokens, node.permissions,
                                            node.keys, *node.jwts, node.forget_here},
                                           random, {});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (invalidation->bus().degraded() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // real connection set-up
  }
  EXPECT_FALSE(invalidation->bus().degraded());
  EXPECT_NE(invalidation->bus().describe().find("postgres"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::server
