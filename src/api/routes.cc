#include "api/routes.h"

#include "api/account_handlers.h"
#include "api/audit_handlers.h"
#include "api/auth_request_handlers.h"
#include "api/authorize_handlers.h"
#include "api/exchange_handlers.h"
#include "api/jwks_handlers.h"
#include "api/key_handlers.h"
#include "api/oauth_handlers.h"
#include "api/openapi_handlers.h"
#include "api/ops_handlers.h"
#include "api/policy_handlers.h"
#include "api/rate_limit.h"
#include "api/user_handlers.h"

namespace latchkey::api {

using http::Dispatch;
using http::PathParams;
using http::Request;

http::Router build_router(const ApiContext& ctx) {
  http::Router r;
  // Adapters: handlers that do not need path parameters. Every request made
  // with a key-derived token counts against its key's rate limit
  // (docs/rate-limits.md); `unlimited` is for the routes that take no bearer
  // token or count on their own (the credential exchanges).
  auto unlimited = [&ctx](http::Response (*fn)(const ApiContext&, const Request&)) {
    return http::Handler(
        [&ctx, fn](const Request& req, const PathParams&) { return fn(ctx, req); });
  };
  auto plain = [&ctx, &unlimited](http::Response (*fn)(const ApiContext&, const Request&)) {
    return limit_key_requests(ctx, unlimited(fn));
  };
  auto with_params =
      [&ctx](http::Response (*fn)(const ApiContext&, const Request&, const PathParams&)) {
        return limit_key_requests(
            ctx, [&ctx, fn](const Request& req, const PathParams& p) { return fn(ctx, req, p); });
      };

  // seed 000: account tokens. Writes wait for a durable commit: kBlocking.
  // Credential stuffing: failures throttled per client id and source IP.
  r.add("POST", "/api/v1/account/token", Dispatch::kBlocking,
        throttle_client_credentials(ctx, unlimited(issue_account_token)));
  r.add("DELETE", "/api/v1/account/token", Dispatch::kBlocking, plain(revoke_account_token));
  // The hot path: served from the token cache.
  r.add("GET", "/api/v1/account/me", Dispatch::kInline, plain(account_me));

  // Users (admin API).
  r.add("POST", "/api/v1/users", Dispatch::kBlocking, plain(create_user));
  r.add("GET", "/api/v1/users", Dispatch::kBlocking, plain(list_users));
  r.add("GET", "/api/v1/users/{id}", Dispatch::kBlocking, with_params(get_user));
  r.add("PATCH", "/api/v1/users/{id}", Dispatch::kBlocking, with_params(update_user));
  r.add("POST", "/api/v1/users/{id}/access-key", Dispatch::kBlocking,
        with_params(reset_access_key));
  r.add("DELETE", "/api/v1/users/{id}/tokens", Dispatch::kBlocking,
        with_params(revoke_user_tokens));

  // API keys (seeds 002-004, docs/api-keys.md).
  r.add("POST", "/api/v1/keys", Dispatch::kBlocking, plain(create_api_key));
  r.add("GET", "/api/v1/keys", Dispatch::kBlocking, plain(list_api_keys));
  r.add("POST", "/api/v1/keys/{id}/deactivate", Dispatch::kBlocking,
        with_params(deactivate_api_key));
  r.add("PUT", "/api/v1/keys/{id}/limits", Dispatch::kBlocking, with_params(set_api_key_limits));
  r.add("GET", "/api/v1/reports/api-keys", Dispatch::kBlocking, plain(api_key_report));

  // Audit trail and the reports built on it (docs/audit.md): ADMIN only.
  r.add("GET", "/api/v1/audit", Dispatch::kBlocking, plain(list_audit_events));
  r.add("GET", "/api/v1/audit/export", Dispatch::kBlocking, plain(export_audit_events));
  r.add("GET", "/api/v1/users/{id}/dependents", Dispatch::kBlocking, with_params(user_dependents));
  r.add("GET", "/api/v1/reports/least-privilege", Dispatch::kBlocking,
        plain(least_privilege_report));
  // nginx auth_request (docs/nginx.md): cache-served like /me, but a
  // permission-cache miss reads the store, so it runs on the blocking pool.
  r.add("GET", "/v1/auth-request", Dispatch::kBlocking, plain(auth_request));

  // API-key exchanges for JWTs, seed-003 sessions, signing keys (docs/jwt.md).
  // Each exchange counts against the presented key; failures are throttled.
  r.add("POST", "/v2/auth/token/access", Dispatch::kBlocking,
        limit_api_key_exchange(ctx, unlimited(exchange_access_token)));
  r.add("POST", "/auth/login", Dispatch::kBlocking,
        limit_api_key_exchange(ctx, unlimited(login_with_api_key)));
  r.add("GET", "/api/v1/keys/{id}/sessions", Dispatch::kBlocking, with_params(list_key_sessions));
  r.add("DELETE", "/api/v1/keys/{id}/sessions/{session_id}", Dispatch::kBlocking,
        with_params(revoke_key_session));
  r.add("GET", "/.well-known/jwks.json", Dispatch::kInline, plain(jwks));
  r.add("GET", "/api/v1/signing-keys", Dispatch::kBlocking, plain(list_signing_keys));
  r.add("POST", "/api/v1/signing-keys/rotate", Dispatch::kBlocking, plain(rotate_signing_keys));

  // The standard OAuth 2.0 surface (docs/oauth.md). Token issuance and
  // revocation write (audit, revocations): kBlocking; introspection may end
  // an expired account token in the store: kBlocking too. Each counts its
  // own failures against the credential-stuffing throttle.
  r.add("POST", "/oauth/token", Dispatch::kBlocking, unlimited(oauth_token));
  r.add("POST", "/oauth/introspect", Dispatch::kBlocking, unlimited(oauth_introspect));
  r.add("POST", "/oauth/revoke", Dispatch::kBlocking, unlimited(oauth_revoke));
  r.add("GET", "/.well-known/oauth-authorization-server", Dispatch::kInline,
        unlimited(oauth_metadata));

  // Permission model admin API and the decision API (seed 001,
  // docs/permissions.md).
  add_policy_routes(r, ctx);
  add_authorize_routes(r, ctx);

  // Operations.
  r.add("GET", "/healthz", Dispatch::kInline, unlimited(healthz));
  r.add("GET", "/readyz", Dispatch::kBlocking, unlimited(readyz));
  // The API description (docs/openapi.json, embedded at build time).
  r.add("GET", "/openapi.json", Dispatch::kInline, unlimited(openapi));
  r.add("GET", "/metrics", Dispatch::kInline, plain(metrics_text));
  if (ctx.test_clock != nullptr) {
    r.add("POST", "/_test/clock/advance", Dispatch::kInline, unlimited(advance_test_clock));
  }
  return r;
}

}  // namespace latchkey::api
