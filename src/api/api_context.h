// ApiContext: the services the HTTP handlers call. Wired once in
// server/main.cc; handlers never touch SQL or construct services.
#pragma once

#include <functional>

#include "accounts/client_authenticator.h"
#include "accounts/user_service.h"
#include "core/clock.h"
#include "core/secret_age.h"
#include "store/store.h"
#include "tokens/account_token_service.h"

namespace latchkey {
class AdjustableClock;
class AuditLog;
namespace authz {
class PermissionService;
}
namespace keys {
class KeyService;
}
namespace limits {
struct Limits;
}
class JwtService;
class FaultInjector;  // store/faulty_store.h
}  // namespace latchkey

namespace latchkey::console_auth {
class ConsoleAuthService;  // console_auth/console_auth_service.h
}

namespace latchkey::pipeline {
class RouteRules;  // pipeline/route_rules.h
}

namespace latchkey::events {
class EventSink;  // events/event_sink.h
}

namespace latchkey::invalidation {
class Bus;  // invalidation/bus.h
}

namespace latchkey::usage {
class UsageService;  // usage/usage_service.h
}

namespace latchkey::api {

struct OAuthOptions;  // oauth_handlers.h

struct ApiContext {
  Store& store;
  const Clock& clock;
  ClientAuthenticator& client_authenticator;
  AccountTokenService& account_tokens;
  UserService& users;
  // Set only with --insecure-test-clock: exposes POST /_test/clock/advance.
  AdjustableClock* test_clock = nullptr;
  // Set only with --insecure-test-faults: exposes /_test/faults.
  FaultInjector* test_faults = nullptr;
  // Areas wired in server/main.cc; null where a test leaves them out.
  authz::PermissionService* permissions = nullptr;  // seed 001 (authz/)
  AuditLog* audit = nullptr;                        // audit/
  keys::KeyService* keys = nullptr;                 // seeds 002-004 (keys/)
  JwtService* jwts = nullptr;                       // tokens/jwt_service.h
  const pipeline::RouteRules* route_rules =
      nullptr;                          // nginx auth_request (auth_request_handlers.h)
  limits::Limits* limits = nullptr;     // rate/concurrency limits, stuffing throttle
  const OAuthOptions* oauth = nullptr;  // OAuth endpoints (oauth_handlers.h)
  // The web console's sign-in (docs/console.md); null: every cookie and
  // sign-in is refused.
  console_auth::ConsoleAuthService* console_auth = nullptr;
  // Where handlers publish events (events/event_sink.h: the webhook outbox);
  // null: events are not recorded.
  events::EventSink* events = nullptr;
  // Usage per API key (docs/key-usage.md): counted by the pipeline, read by
  // GET /api/v1/keys/{id}/usage; null: not counted, the route answers 503.
  usage::UsageService* usage = nullptr;
  // Age and rotation policy of Client Secrets and API keys
  // (docs/secret-age.md); null: the defaults.
  const SecretAgePolicy* secret_age = nullptr;
  // Cross-node invalidation (docs/operations.md): /readyz reports whether
  // this node is degraded; null: not reported.
  const invalidation::Bus* invalidation = nullptr;
  // With --insecure-test-clock: run after POST /_test/clock/advance moved
  // the clock (the lifecycle scan, so that tests need not wait for it).
  std::function<void()> after_test_clock_advance;
};

}  // namespace latchkey::api
