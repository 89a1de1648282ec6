#include "api/request_auth.h"

#include "api/credentials.h"
#include "tokens/jwt_service.h"

namespace latchkey::api {
namespace {

// A request that cannot change latchkey's own state: safe methods, and
// anything outside the management API /api/ (the decision endpoints and
// gateway routes, where the permission decision itself denies write actions
// to read-only principals with key_read_only).
bool is_read_request(const http::Request& request) {
  return request.method == "GET" || request.method == "HEAD" || request.method == "OPTIONS" ||
         !request.path().starts_with("/api/");
}

}  // namespace

Result<std::shared_ptr<const Principal>> authenticate_bearer(const ApiContext& ctx,
                                                             const http::Request& request) {
  auto token = parse_bearer_authorization(request.header("Authorization"));
  if (!token) return fail(token.error());
  // A JWT from an API-key exchange (seeds 003/004) or from POST /oauth/token
  // works wherever an account token does; the two never look alike (lk_at_…
  // has no dots).
  if (ctx.jwts != nullptr && JwtService::looks_like_jwt(*token)) {
    auto principal = ctx.jwts->authenticate(*token);
    if (!principal) return principal;
    // An OAuth token narrowed to scope "read" (docs/oauth.md) calls no
    // management endpoint that can change state (RFC 6750 §3.1).
    if ((*principal)->read_only && !is_read_request(request)) {
      return fail(Error::forbidden("this token has scope \"read\"; this call needs scope \"write\"")
                      .with_reason("insufficient_scope"));
    }
    return principal;
  }
  return ctx.account_tokens.authenticate(*token);
}

RequestOrigin origin_of(const http::Request& request) {
  return {request.remote_ip, std::string(request.header("User-Agent").value_or(""))};
}

}  // namespace latchkey::api
