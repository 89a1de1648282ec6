// latchkeyd's cross-node invalidation (docs/operations.md, "Cross-node
// invalidation"), wired in one place: the bus for the configured store
// (in-process for the embedded SQLite store, PostgreSQL LISTEN/NOTIFY on the
// store's own URL for postgres://), every service's publisher and cache
// trust, and the mapping from other nodes' messages to this node's
// evictions and reloads.
//
// Thread-safety: build once in main before serving; then any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/cache_trust.h"
#include "core/random.h"
#include "invalidation/bus.h"
#include "invalidation/local_state.h"

namespace latchkey {
class ClientAuthenticator;
class AccountTokenService;
class JwtService;
namespace authz {
class PermissionService;
}
namespace keys {
class KeyService;
}
}  // namespace latchkey

namespace latchkey::server {

// The caches and in-memory revocation state of one node.
struct InvalidationTargets {
  ClientAuthenticator& clients;
  AccountTokenService& account_tokens;
  authz::PermissionService& permissions;
  keys::KeyService& keys;
  JwtService& jwts;
  // Every cache holding the user, on this node only (main.cc's fan-out).
  std::function<void(std::string_view user_id)> forget_user_here;
};

class Invalidation {
 public:
  // `store_url`: the configured store; PostgreSQL (store/store_url.h
  // is_postgres_url: a postgres:// URL or a libpq key=value string) selects the LISTEN/NOTIFY
  // bus (which starts degraded until it has subscribed), anything else the
  // in-process bus. Sets every target's publisher and cache trust and
  // registers the latchkey_invalidation_* metrics.
  static std::unique_ptr<Invalidation> create(std::string_view store_url,
                                              InvalidationTargets targets, Random& random,
                                              std::function<void(bool, std::string_view)> log);
  // The same with a bus of the caller's (tests: buses between nodes in one
  // process). `make_bus` gets this node's state and trust.
  using BusFactory =
      std::function<std::unique_ptr<invalidation::Bus>(invalidation::LocalState&, CacheTrust&)>;
  static std::unique_ptr<Invalidation> create_with(const BusFactory& make_bus,
                                                   InvalidationTargets targets,
                                                   std::function<void(bool, std::string_view)> log);
  ~Invalidation();  // stops the bus, unregisters the metrics

  invalidation::Bus& bus() { return *bus_; }
  // After a change to a user committed here and this node forgot it.
  void user_changed(std::string_view user_id);

 private:
  class ServiceState;
  Invalidation() = default;

  CacheTrust trust_;
  std::unique_ptr<ServiceState> state_;
  std::unique_ptr<invalidation::Bus> bus_;
};

}  // namespace latchkey::server
