// Requirement: what a route needs before its handler runs, declared once per
// route in the route table (api/routes.cc; gateway routes in
// gateway/gateway.cc). The pipeline's stages read it; handlers never repeat
// these checks.
//
// Plain values; a Requirement is immutable once the router is built.
#pragma once

#include <memory>
#include <string>

namespace latchkey::pipeline {

class DecisionSource;  // decide.h

// How the caller proves itself (the authenticate stage).
enum class Credential {
  kNone,          // public: health, metadata, JWKS, the OpenAPI document
  kBearer,        // Authorization: Bearer, an account token or a JWT; verified once
  kClientSecret,  // HTTP Basic Client ID + Secret (seed 000 token issuance)
  kApiKey,        // {"api_key": ...} in the body (seeds 003/004 exchanges)
  // OAuth 2.0 client authentication (client_secret_basic or _post): the
  // handler authenticates, because RFC 6749 §5.2 fixes the error shape; the
  // throttle stage still counts its failures.
  kOAuthClient,
};

// Which credential-stuffing throttle applies (limits/auth_throttle.h).
enum class Throttle {
  kNone,
  kClientId,  // per Basic client id and source IP (kClientSecret, kOAuthClient)
  kApiKey,    // per presented key digest and source IP (kApiKey)
  // Console sign-in and invitation acceptance (docs/console.md): per the
  // body's "username" and source IP; a 401 or a 404 counts as a failure.
  kConsole,
};

// Which per-key limits a key-derived caller pays (seed 004).
enum class KeyLimit {
  kNone,
  kRate,                // 60 requests/minute per key (RateLimit-* headers)
  kRateAndConcurrency,  // and 5 in flight per key on this route (gateway)
};

// How refusals are worded for this route's audience.
enum class Audience {
  kApi,    // JSON errors with the natural status (401, 403, 429)
  kNginx,  // nginx auth_request: only 2xx, 401 and 403 reach nginx intact, so
           // a limit refusal is a 403 with X-Latchkey-Reason and Retry-After
};

struct Requirement {
  Credential credential = Credential::kNone;
  // With kBearer: a request without an Authorization header may instead
  // carry the web console's session cookie (docs/console.md); then a method
  // other than GET/HEAD needs its X-CSRF-Token and a foreign Origin is
  // refused. Set for every /api/v1/ route (api/routes.cc api_route), never
  // on the data plane or the exchanges.
  bool session_cookie = false;
  Throttle throttle = Throttle::kNone;
  KeyLimit key_limit = KeyLimit::kNone;
  // What a concurrency slot is counted per, beside the key: the route
  // ("GET /apps/{app}/records"), for KeyLimit::kRateAndConcurrency.
  std::string limit_scope;
  bool admin = false;  // ADMIN module, checked before the body is read
  // The call changes latchkey's state: a read-only principal (read-only key,
  // "read"-scope OAuth token) is refused with 403 insufficient_scope.
  bool write = false;
  // The seed-001 decision to take before the handler (POST /v1/authorize,
  // nginx auth_request, gateway routes); null: none.
  std::shared_ptr<const DecisionSource> decision;
  Audience audience = Audience::kApi;
  // The audit action of the exchange ("account.me"); a handler may refine it.
  // Empty: the exchange is not audited unless its handler notes an event.
  std::string audit_action;
  // The audit resource when the handler does not name one.
  std::string audit_resource;
  // The route as usage per key names it (docs/key-usage.md): "METHOD
  // pattern", or a gateway route's label; never a raw path. Filled in by
  // RouteTable::build_router when left empty.
  std::string route_label;
};

}  // namespace latchkey::pipeline
