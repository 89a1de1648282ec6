// The per-API-key limits on latchkey's own API (issue 5 items 2 and 4,
// seed 004: "60 requests per minute per API key ... 429 when limits are
// exceeded"; docs/rate-limits.md):
//
//  - every request authenticated by a key-derived token (a JWT from
//    /v2/auth/token/access or /auth/login) counts against its key; so does
//    each exchange of the key itself. Account tokens (seed 000) are not
//    key-derived and have no per-key limit.
//  - the token endpoints are throttled against credential stuffing
//    (limits/auth_throttle.h).
//
// The building blocks are also used by the gateway; the wrappers are used
// by api/routes.cc. All are safe from any thread; with ctx.limits null they
// limit nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "accounts/principal.h"
#include "api/api_context.h"
#include "http/message.h"
#include "http/router.h"
#include "limits/limits.h"

namespace latchkey::api {

// The limits that apply to a principal: nullopt when it is not key-derived
// (Principal::key empty): account tokens have no per-key limit. With
// ctx.limits (or its policy) null, the seed-004 defaults.
std::optional<limits::KeyLimits> key_limits_of(const ApiContext& ctx, const Principal& principal);

// Counts one request of a key-derived principal; nullopt when no limit
// applies (not key-derived, ctx.limits null, or the key's rate is
// unlimited). A refusal is also counted in latchkey_limit_rejections_total.
std::optional<limits::RateLimitState> admit_key_request(const ApiContext& ctx,
                                                        const Principal& principal);
// The same for a key known by id and role (the exchange endpoints).
std::optional<limits::RateLimitState> admit_key_request(const ApiContext& ctx,
                                                        std::string_view key_id,
                                                        std::string_view role_id);

// RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF
// draft-ietf-httpapi-ratelimit-headers, integer seconds) on any response to
// a limited request.
void add_rate_limit_headers(http::Response& response, const limits::RateLimitState& state);

// 429 {"error":"rate_limited","error_description":...} with Retry-After and
// the RateLimit-* headers.
http::Response too_many_requests(const limits::RateLimitState& state);

// 429 for a concurrency refusal: {"error":"concurrency_limited",...},
// Retry-After: 1.
http::Response too_many_concurrent(int limit);

// 429 for a throttled authentication attempt: {"error":"too_many_attempts",
// ...} with Retry-After (whole seconds, at least 1).
http::Response too_many_attempts(std::chrono::seconds retry_after);

// Route wrappers (api/routes.cc). Each returns `handler` itself when
// ctx.limits is null when the router is built.
//
// Bearer endpoints: a request whose bearer token is a key-derived JWT is
// counted against its key before `handler` runs; refused -> 429; the
// response carries the RateLimit-* headers. Any other request (account
// tokens, no token, a token that does not authenticate) goes straight to
// `handler` at the cost of a header scan.
http::Handler limit_key_requests(const ApiContext& ctx, http::Handler handler);

// POST /api/v1/account/token (HTTP Basic client id/secret): refused with
// too_many_attempts while the client id or the source IP is throttled; a
// 401 from `handler` records a failure, a 2xx a success.
http::Handler throttle_client_credentials(const ApiContext& ctx, http::Handler handler);

// POST /v2/auth/token/access and /auth/login ({"api_key": ...}): throttled
// per presented key (when well-formed) and per source IP like
// throttle_client_credentials(); an active key's exchange also counts
// against its rate limit (RateLimit-* headers, 429 rate_limited).
http::Handler limit_api_key_exchange(const ApiContext& ctx, http::Handler handler);

}  // namespace latchkey::api
