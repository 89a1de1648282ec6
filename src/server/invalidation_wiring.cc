#include "server/invalidation_wiring.h"

#include <array>

#include "accounts/client_authenticator.h"
#include "authz/permission_service.h"
#include "core/encoding.h"
#include "invalidation/pg_notify_bus.h"
#include "keys/key_service.h"
#include "metrics/metrics.h"
#include "store/store_url.h"
#include "tokens/account_token_service.h"
#include "tokens/jwt_service.h"

namespace latchkey::server {
namespace {

constexpr std::array<std::string_view, 4> kMetricNames = {
    "latchkey_invalidation_degraded", "latchkey_invalidation_applied_total",
    "latchkey_invalidation_degraded_total", "latchkey_invalidation_publish_late_total"};

}  // namespace

// Other nodes' messages -> this node's services. Nothing here publishes.
class Invalidation::ServiceState final : public invalidation::LocalState {
 public:
  explicit ServiceState(InvalidationTargets t) : t_(std::move(t)) {}

  void forget_user(std::string_view user_id) override { t_.forget_user_here(user_id); }
  void forget_account_tokens_of_user(std::string_view user_id) override {
    t_.account_tokens.forget_user(user_id);
  }
  void forget_account_token(const Digest& digest) override {
    t_.account_tokens.forget_token(digest);
  }
  void forget_key(std::string_view key_id) override {
    // The key first, then its tokens' principals: a principal rebuilt
    // between the two would carry the old key. No store I/O here (the
    // listener thread): the next lookup reads the key from the store.
    t_.keys.forget_key(key_id);
    t_.jwts.forget_key(key_id);
  }
  void refuse_login_session(std::string_view key_id, std::string_view session_id,
                            Instant until) override {
    t_.jwts.refuse_login_session(key_id, session_id, until);
  }
  void refuse_token_id(std::string_view jti, Instant until) override {
    t_.jwts.refuse_token_id(jti, until);
  }
  void forget_policy() override { t_.permissions.invalidate_all(); }

  void drop_caches() override {
    t_.clients.forget_all();
    t_.account_tokens.forget_all();
    t_.permissions.invalidate_all();
    t_.jwts.forget_all();
  }
  Status reload_from_store() override {
    if (auto s = t_.keys.load(); !s) return s;
    if (auto s = t_.jwts.reload_revocations(); !s) return s;
    return t_.jwts.reload_signing_keys();
  }

 private:
  InvalidationTargets t_;
};

std::unique_ptr<Invalidation> Invalidation::create(
    std::string_view store_url, InvalidationTargets targets, Random& random,
    std::function<void(bool, std::string_view)> log) {
  if (!is_postgres_url(store_url)) {
    return create_with([](invalidation::LocalState&,
                          CacheTrust&) { return std::make_unique<invalidation::InProcessBus>(); },
                       std::move(targets), std::move(log));
  }
  std::array<std::uint8_t, 8> id{};
  random.fill(id);
  invalidation::PgNotifyOptions options;
  options.url = std::string(store_url);
  options.log = log;
  const std::string node_id =
      hex_encode(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
  return create_with(
      [&](invalidation::LocalState& state, CacheTrust& trust) {
        return std::make_unique<invalidation::PgNotifyBus>(std::move(options), state, trust,
                                                           node_id);
      },
      std::move(targets), std::move(log));
}

std::unique_ptr<Invalidation> Invalidation::create_with(
    const BusFactory& make_bus, InvalidationTargets targets,
    std::function<void(bool, std::string_view)> log) {
  (void)log;  // the transport logs (PgNotifyOptions::log); applying logs nothing
  std::unique_ptr<Invalidation> out(new Invalidation());
  InvalidationTargets& t = targets;
  ClientAuthenticator& clients = t.clients;
  AccountTokenService& account_tokens = t.account_tokens;
  authz::PermissionService& permissions = t.permissions;
  keys::KeyService& keys = t.keys;
  JwtService& jwts = t.jwts;
  out->state_ = std::make_unique<ServiceState>(std::move(targets));
  out->bus_ = make_bus(*out->state_, out->trust_);
  invalidation::Bus& bus = *out->bus_;
  // Publishers: every eviction point that is not a key or policy listener.
  account_tokens.set_publisher(&bus);
  jwts.set_publisher(&bus);
  keys.add_deactivation_listener(
      [&bus](const ApiKey& key) { bus.publish(invalidation::Message::api_key(key.id)); });
  keys.add_change_listener(
      [&bus](const ApiKey& key) { bus.publish(invalidation::Message::api_key(key.id)); });
  permissions.set_change_hook([&bus] { bus.publish(invalidation::Message::policy()); });
  // Trust: withdrawn by the PostgreSQL bus while it may miss a message.
  const CacheTrust* trust = &out->trust_;
  clients.set_cache_trust(trust);
  account_tokens.set_cache_trust(trust);
  permissions.set_cache_trust(trust);
  keys.set_cache_trust(trust);
  jwts.set_cache_trust(trust);

  auto& r = metrics::default_registry();
  r.gauge_callback(std::string(kMetricNames[0]),
                   "1 while this node may have missed a cross-node invalidation: caches off, "
                   "every verification reads the store.",
                   [&bus] { return bus.degraded() ? 1.0 : 0.0; });
  if (auto* pg = dynamic_cast<invalidation::PgNotifyBus*>(&bus)) {
    r.counter_callback(std::string(kMetricNames[1]), "Invalidations from other nodes applied.",
                       [pg] { return static_cast<double>(pg->receiver_stats().applied); });
    r.counter_callback(std::string(kMetricNames[2]), "Entries into degraded mode.",
                       [pg] { return static_cast<double>(pg->receiver_stats().degraded_entered); });
    r.counter_callback(std::string(kMetricNames[3]),
                       "Invalidations not yet sent when their change was answered.",
                       [pg] { return static_cast<double>(pg->publisher_stats().late); });
  }
  return out;
}

Invalidation::~Invalidation() {
  auto& r = metrics::default_registry();
  for (std::string_view name : kMetricNames) r.remove_callback(name);
  bus_.reset();
}

void Invalidation::user_changed(std::string_view user_id) {
  bus_->publish(invalidation::Message::user_changed(user_id));
}

}  // namespace latchkey::server
