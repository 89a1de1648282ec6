// GET /v1/auth-request: the endpoint nginx's auth_request module (and
// Traefik ForwardAuth, Caddy forward_auth) calls before it proxies a request
// to the protected API (docs/nginx.md, docs/proxies.md). The same decision
// for Envoy's ext_authz HTTP service: /v1/ext-authz/{path+} with any method.
//
// Reads the original method and URI from X-Original-Method and
// X-Original-URI (nginx) or X-Forwarded-Method and X-Forwarded-Uri (Traefik,
// Caddy; both families present must agree, and neither may repeat, else 403
// ambiguous_original_request), or for ext_authz from the request's own
// method and its path after /v1/ext-authz; the bearer token from
// Authorization; maps (method, path) to a decision request with the
// configured route rules (route_rules.h; first match wins, no match denies)
// and answers:
//   200  allowed, with X-Latchkey-User-Id, X-Latchkey-User-Name,
//        X-Latchkey-User-Type and X-Latchkey-Credential (masked) for nginx
//        to pass upstream;
//   401  no or bad token (WWW-Authenticate says why);
//   403  no rule matches, or the permission model denies (reason in the
//        JSON body and in X-Latchkey-Reason), or a limit refused the
//        caller's key (X-Latchkey-Reason: rate_limited, with Retry-After:
//        nginx turns any status but 2xx, 401 and 403 into a 500).
// The pipeline's stages (api/routes.cc) authenticate and decide; the
// handler only answers the allowed request.
// Every answer is audited (action "authorize.<action>" or
// "authorize.no_route_rule").
#pragma once

#include <memory>

#include "api/api_context.h"
#include "http/message.h"
#include "pipeline/decision_source.h"
#include "pipeline/exchange.h"
#include "pipeline/route_rules.h"

namespace latchkey::api {

// What the request asks the decide stage: the first of ctx.route_rules
// matching X-Original-Method and X-Original-URI (none configured, or no
// match: 403 no_route_rule).
std::shared_ptr<const pipeline::DecisionSource> auth_request_decision_source(const ApiContext& ctx);

// Envoy ext_authz: the route rules applied to this request's method and
// its path after the /v1/ext-authz prefix (the {path+} parameter).
std::shared_ptr<const pipeline::DecisionSource> ext_authz_decision_source(const ApiContext& ctx);

// The methods /v1/ext-authz/{path+} answers (Envoy forwards the original one).
inline constexpr const char* kExtAuthzMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                   "PATCH", "DELETE", "OPTIONS"};

// The 200 of an allowed request, with the identity headers (also ext_authz).
http::Response auth_request(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
