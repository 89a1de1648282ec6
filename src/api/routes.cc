#include "api/routes.h"

#include <memory>
#include <utility>

#include "api/account_handlers.h"
#include "api/audit_handlers.h"
#include "api/auth_request_handlers.h"
#include "api/authorize_handlers.h"
#include "api/console_handlers.h"
#include "api/event_handlers.h"
#include "api/exchange_handlers.h"
#include "api/jwks_handlers.h"
#include "api/key_handlers.h"
#include "api/key_usage_handlers.h"
#include "api/oauth_handlers.h"
#include "api/openapi_handlers.h"
#include "api/ops_handlers.h"
#include "api/origin_handlers.h"
#include "api/policy_handlers.h"
#include "api/rotation_handlers.h"
#include "api/test_fault_handlers.h"
#include "api/user_handlers.h"
#include "audit/audit_log.h"
#include "console/console_handler.h"
#include "limits/limits.h"
#include "usage/usage_service.h"

namespace latchkey::api {
namespace {

using http::Dispatch;
using pipeline::Credential;
using pipeline::KeyLimit;
using pipeline::Requirement;
using pipeline::RouteEntry;
using pipeline::Throttle;

pipeline::Handler bind(const ApiContext& ctx, ApiHandler fn) {
  return [&ctx, fn](pipeline::Exchange& ex) { return fn(ctx, ex); };
}

RouteEntry route(const ApiContext& ctx, std::string method, std::string pattern, Dispatch dispatch,
                 Requirement requirement, ApiHandler fn) {
  return RouteEntry{std::move(method),      std::move(pattern), dispatch,
                    std::move(requirement), bind(ctx, fn),      {}};
}

// Public routes: no credential, nothing recorded.
RouteEntry open_route(const ApiContext& ctx, std::string method, std::string pattern,
                      Dispatch dispatch, ApiHandler fn) {
  return route(ctx, std::move(method), std::move(pattern), dispatch, Requirement{}, fn);
}

// The web console (docs/console.md): the embedded single-page app.
http::Response console_page(const ApiContext&, pipeline::Exchange& ex) {
  return console::serve_console(console::AssetTable::embedded(), ex.request());
}

// A server without an audit log (tests that leave it out) records nothing.
class DiscardingAuditLog final : public AuditLog {
 public:
  void record(AuditEvent) override {}
  Status record_durably(AuditEvent) override { return {}; }
};

// What the pipeline of build_router() owns: its services, over ctx.
struct ApiPipeline {
  explicit ApiPipeline(const ApiContext& ctx)
      : tokens(ctx.account_tokens, ctx.jwts),
        console(make_console_session_verifier(ctx)),
        clients(ctx.client_authenticator),
        keys(ctx.keys),
        decider(ctx.permissions),
        pipeline(pipeline::Services{ctx.clock, tokens, clients, keys, decider,
                                    ctx.audit != nullptr ? *ctx.audit : discard,
                                    ctx.limits != nullptr ? *ctx.limits : no_limits, *console,
                                    ctx.usage != nullptr ? &ctx.usage->counter() : nullptr}) {}
  pipeline::TokenVerifier tokens;
  std::unique_ptr<pipeline::ConsoleSessionVerifier> console;
  pipeline::StoreClientVerifier clients;
  pipeline::KeyServiceVerifier keys;
  pipeline::PermissionDecider decider;
  DiscardingAuditLog discard;
  limits::Limits no_limits;
  pipeline::Pipeline pipeline;
};

}  // namespace

RouteEntry api_route(const ApiContext& ctx, std::string method, std::string pattern,
                     Dispatch dispatch, bool admin, ApiHandler handler, std::string audit_action) {
  Requirement req;
  req.credential = Credential::kBearer;
  req.key_limit = KeyLimit::kRate;
  req.admin = admin;
  // The web console's cookie works on the admin API, never on the data
  // plane (/v1/...) nor the exchanges (docs/console.md).
  req.session_cookie = pattern.starts_with("/api/v1/");
  // A call that can change latchkey's own state (RFC 6750 §3.1: a "read"
  // token never writes).
  req.write = method != "GET" && method != "HEAD" && pattern.starts_with("/api/");
  req.audit_action = std::move(audit_action);
  // Until the handler names the resource (an id), the route does: a
  // pattern, never a raw path, so nothing a client typed is recorded here.
  req.audit_resource = pattern;
  return route(ctx, std::move(method), std::move(pattern), dispatch, std::move(req), handler);
}

pipeline::RouteTable route_table(const ApiContext& ctx, std::vector<RouteEntry> extra) {
  pipeline::RouteTable t;
  // Writes wait for a durable commit: kBlocking. kInline routes are served
  // from memory (the token and permission caches).
  auto api = [&](std::string method, std::string pattern, Dispatch dispatch, ApiHandler fn,
                 std::string audit_action = {}) {
    t.add(api_route(ctx, std::move(method), std::move(pattern), dispatch, /*admin=*/false, fn,
                    std::move(audit_action)));
  };
  auto admin = [&](std::string method, std::string pattern, ApiHandler fn,
                   std::string audit_action = {}) {
    t.add(api_route(ctx, std::move(method), std::move(pattern), Dispatch::kBlocking,
                    /*admin=*/true, fn, std::move(audit_action)));
  };

  // seed 000: account tokens. Issuance is the Client ID + Secret exchange,
  // throttled per client id and source IP (credential stuffing).
  t.add(route(ctx, "POST", "/api/v1/account/token", Dispatch::kBlocking,
              Requirement{.credential = Credential::kClientSecret,
                          .throttle = Throttle::kClientId,
                          .audit_action = "account.token.issue",
                          .audit_resource = "account"},
              issue_account_token));
  api("DELETE", "/api/v1/account/token", Dispatch::kBlocking, revoke_account_token,
      "account.token.revoke");
  api("GET", "/api/v1/account/me", Dispatch::kInline, account_me, "account.me");  // the hot path

  // Users (admin API; a user may read their own record).
  admin("POST", "/api/v1/users", create_user, "user.create");
  admin("GET", "/api/v1/users", list_users, "user.list");
  api("GET", "/api/v1/users/{id}", Dispatch::kBlocking, get_user, "user.get");
  admin("PATCH", "/api/v1/users/{id}", update_user, "user.update");
  api("POST", "/api/v1/users/{id}/access-key", Dispatch::kBlocking, reset_access_key,
      "user.access_key.reset");
  // docs/rotation.md: end a reset's overlap early.
  api("DELETE", "/api/v1/users/{id}/access-key/previous", Dispatch::kBlocking,
      retire_previous_secret, "user.access_key.retire_previous");
  admin("DELETE", "/api/v1/users/{id}/tokens", revoke_user_tokens, "user.tokens.revoke");
  // What POST /v1/authorize would answer the user (docs/permissions.md).
  admin("POST", "/api/v1/users/{id}/authorize", what_if_authorize, "policy.what_if");

  // The web console's sign-in (docs/console.md). Sign-in and accepting an
  // invitation take no credential and are throttled per username and IP.
  const Requirement console_open{
      .credential = Credential::kNone, .throttle = Throttle::kConsole, .audit_resource = "console"};
  t.add(route(ctx, "POST", "/api/v1/console/sign-in", Dispatch::kBlocking, console_open,
              console_sign_in));
  t.add(route(ctx, "POST", "/api/v1/console/invitations/inspect", Dispatch::kBlocking, console_open,
              console_inspect_invitation));
  t.add(route(ctx, "POST", "/api/v1/console/invitations/accept", Dispatch::kBlocking, console_open,
              console_accept_invitation));
  api("GET", "/api/v1/console/session", Dispatch::kBlocking, console_session, "console.session");
  api("POST", "/api/v1/console/sign-out", Dispatch::kBlocking, console_sign_out,
      "console.sign_out");
  api("GET", "/api/v1/console/sessions", Dispatch::kBlocking, console_list_sessions,
      "console.sessions.list");
  api("DELETE", "/api/v1/console/sessions/{id}", Dispatch::kBlocking, console_revoke_session,
      "console.session.revoke");
  admin("POST", "/api/v1/users/{id}/invitation", console_create_invitation,
        "console.invitation.create");
  api("POST", "/api/v1/console/access-token", Dispatch::kBlocking, console_access_token,
      "console.access_token");
  api("POST", "/api/v1/console/explorer-token", Dispatch::kBlocking, console_explorer_token,
      "console.explorer_token");

  // API keys (seeds 002-004, docs/api-keys.md).
  api("POST", "/api/v1/keys", Dispatch::kBlocking, create_api_key, "api_key.create");
  api("GET", "/api/v1/keys", Dispatch::kBlocking, list_api_keys, "api_key.list");
  api("POST", "/api/v1/keys/{id}/deactivate", Dispatch::kBlocking, deactivate_api_key,
      "api_key.deactivate");
  // docs/rotation.md: a new key in place of an old one, with an overlap.
  api("GET", "/api/v1/keys/{id}", Dispatch::kBlocking, get_api_key, "api_key.get");
  api("POST", "/api/v1/keys/{id}/reroll", Dispatch::kBlocking, reroll_api_key, "api_key.reroll");
  admin("PUT", "/api/v1/keys/{id}/limits", set_api_key_limits, "api_key.limits");
  // Usage per key (docs/key-usage.md): the owner or an admin.
  api("GET", "/api/v1/keys/{id}/usage", Dispatch::kBlocking, key_usage, "api_key.usage");
  admin("GET", "/api/v1/reports/api-keys", api_key_report, "api_key.report");
  // Issue 14: secrets and keys due for rotation, keys expiring soon (docs/secret-age.md).
  admin("GET", "/api/v1/reports/rotation", rotation_report, "report.rotation");

  // Origin restrictions (docs/origin-restrictions.md): a user's by an
  // admin; a key's by its owner or an admin (as deactivation).
  admin("PUT", "/api/v1/users/{id}/allowed-origins", set_user_allowed_origins,
        "user.allowed_origins");
  api("PUT", "/api/v1/keys/{id}/allowed-origins", Dispatch::kBlocking, set_key_allowed_origins,
      "api_key.allowed_origins");

  // Audit trail and the reports built on it (docs/audit.md): ADMIN only.
  admin("GET", "/api/v1/audit", list_audit_events, "audit.query");
  admin("GET", "/api/v1/audit/export", export_audit_events, "audit.export");
  admin("GET", "/api/v1/users/{id}/dependents", user_dependents, "report.dependents");
  admin("GET", "/api/v1/reports/least-privilege", least_privilege_report, "report.least_privilege");

  // The webhook outbox (docs/webhooks.md): ADMIN only.
  admin("GET", "/api/v1/events", list_events, "event.list");
  admin("POST", "/api/v1/events/{id}/redeliver", redeliver_event, "event.redeliver");
  admin("POST", "/api/v1/events/test", send_test_event, "event.test");

  // The decision API (seed 001, docs/permissions.md) and nginx auth_request
  // (docs/nginx.md): the decide stage takes the decision; served inline on
  // a cache hit, a permission-cache miss reads the store.
  if (ctx.permissions != nullptr) {
    Requirement decision =
        api_route(ctx, "POST", "/v1/authorize", Dispatch::kInline, false, authorize).requirement;
    decision.decision = authorize_decision_source();
    decision.audit_action = "authorize";
    t.add(route(ctx, "POST", "/v1/authorize", Dispatch::kInline, std::move(decision), authorize));
  }
  {
    Requirement nginx =
        api_route(ctx, "GET", "/v1/auth-request", Dispatch::kBlocking, false, auth_request)
            .requirement;
    nginx.decision = auth_request_decision_source(ctx);
    nginx.audience = pipeline::Audience::kNginx;
    nginx.audit_action = "authorize.authenticate";
    t.add(
        route(ctx, "GET", "/v1/auth-request", Dispatch::kBlocking, std::move(nginx), auth_request));
  }
  // Envoy's ext_authz HTTP service (docs/proxies.md): the original method,
  // the original path after the prefix. Refusals keep their status (Envoy
  // passes 401/403/429 to the client as they are).
  // "/v1/ext-authz" (Envoy's prefix + "/", which the router reads as the
  // prefix alone) asks about the original path "/".
  for (const char* method : kExtAuthzMethods) {
    for (const char* pattern : {"/v1/ext-authz/{path+}", "/v1/ext-authz"}) {
      Requirement envoy =
          api_route(ctx, method, pattern, Dispatch::kBlocking, false, auth_request).requirement;
      envoy.write = false;  // the decision is a read, whatever the original method
      envoy.decision = ext_authz_decision_source(ctx);
      envoy.audit_action = "authorize.authenticate";
      t.add(route(ctx, method, pattern, Dispatch::kBlocking, std::move(envoy), auth_request));
    }
  }

  // API-key exchanges for JWTs (seeds 003/004, docs/jwt.md): each counts
  // against the presented key; failures are throttled per key and IP.
  const Requirement exchange{.credential = Credential::kApiKey,
                             .throttle = Throttle::kApiKey,
                             .key_limit = KeyLimit::kRate,
                             .audit_resource = "api_key"};
  auto with_action = [](Requirement r, std::string action) {
    r.audit_action = std::move(action);
    return r;
  };
  t.add(route(ctx, "POST", "/v2/auth/token/access", Dispatch::kBlocking,
              with_action(exchange, "key.token.access"), exchange_access_token));
  t.add(route(ctx, "POST", "/auth/login", Dispatch::kBlocking, with_action(exchange, "key.login"),
              login_with_api_key));
  api("GET", "/api/v1/keys/{id}/sessions", Dispatch::kBlocking, list_key_sessions,
      "key.sessions.list");
  api("DELETE", "/api/v1/keys/{id}/sessions/{session_id}", Dispatch::kBlocking, revoke_key_session,
      "key.session.revoke");
  t.add(open_route(ctx, "GET", "/.well-known/jwks.json", Dispatch::kInline, jwks));
  admin("GET", "/api/v1/signing-keys", list_signing_keys, "signing_keys.list");
  admin("POST", "/api/v1/signing-keys/rotate", rotate_signing_keys, "signing_keys.rotate");

  // The standard OAuth 2.0 surface (docs/oauth.md). The handlers
  // authenticate the client themselves (RFC 6749 §5.2 fixes the error
  // shape) and count failures against the credential-stuffing throttle.
  // Issuance signs and may rotate the signing key (a store write):
  // kBlocking. Introspection is served from memory once the client and the
  // token are cached, like GET /me (a miss is a few indexed reads): inline.
  const Requirement oauth{.credential = Credential::kOAuthClient};
  t.add(route(ctx, "POST", "/oauth/token", Dispatch::kBlocking, oauth, oauth_token));
  t.add(route(ctx, "POST", "/oauth/introspect", Dispatch::kInline, oauth, oauth_introspect));
  t.add(route(ctx, "POST", "/oauth/revoke", Dispatch::kBlocking, oauth, oauth_revoke));
  t.add(open_route(ctx, "GET", "/.well-known/oauth-authorization-server", Dispatch::kInline,
                   oauth_metadata));

  // The permission model's admin API (seed 001, docs/permissions.md).
  t.add_all(policy_routes(ctx));

  // Operations and the API description (docs/openapi.json, embedded).
  t.add(open_route(ctx, "GET", "/healthz", Dispatch::kInline, healthz));
  t.add(open_route(ctx, "GET", "/readyz", Dispatch::kBlocking, readyz));
  t.add(open_route(ctx, "GET", "/openapi.json", Dispatch::kInline, openapi));
  t.add(open_route(ctx, "GET", "/metrics", Dispatch::kInline, metrics_text));
  // The web console: "/console" also matches "/console/" (the handler tells
  // them apart); GET and HEAD only, before any gateway route can claim them.
  for (const char* method : {"GET", "HEAD"}) {
    t.add(open_route(ctx, method, "/console", Dispatch::kInline, console_page));
    t.add(open_route(ctx, method, "/console/{path+}", Dispatch::kInline, console_page));
  }
  if (ctx.test_clock != nullptr) {
    t.add(open_route(ctx, "POST", "/_test/clock/advance", Dispatch::kInline, advance_test_clock));
  }
  if (ctx.test_faults != nullptr) {
    t.add(open_route(ctx, "POST", "/_test/faults", Dispatch::kInline, arm_test_faults));
    t.add(open_route(ctx, "GET", "/_test/faults", Dispatch::kInline, test_fault_stats));
  }

  t.add_all(std::move(extra));  // gateway routes, after the API's own
  return t;
}

http::Router build_router(const ApiContext& ctx, std::vector<RouteEntry> extra) {
  auto owner = std::make_shared<ApiPipeline>(ctx);
  std::shared_ptr<const pipeline::Pipeline> pipeline(owner, &owner->pipeline);
  return route_table(ctx, std::move(extra)).build_router(pipeline);
}

}  // namespace latchkey::api
