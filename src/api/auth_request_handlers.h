// GET /v1/auth-request: the endpoint nginx's auth_request module calls before
// it proxies a request to the protected API (docs/nginx.md).
//
// Reads the original method and URI from X-Original-Method and
// X-Original-URI (set in the nginx configuration) and the bearer token from
// Authorization, maps (method, path) to a decision request with the
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

// The 200 of an allowed request, with the identity headers.
http::Response auth_request(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
