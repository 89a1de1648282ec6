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
//        JSON body and in X-Latchkey-Reason).
// Every answer is audited (action "authorize.<action>" or
// "authorize.no_route_rule").
#pragma once

#include "api/api_context.h"
#include "api/route_rules.h"
#include "http/message.h"

namespace latchkey::api {

// The rules are ctx.route_rules; none configured (null) denies everything.
http::Response auth_request(const ApiContext& ctx, const http::Request& request);

}  // namespace latchkey::api
