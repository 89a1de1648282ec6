#include "api/request_auth.h"

#include "api/credentials.h"
#include "tokens/jwt_service.h"

namespace latchkey::api {

Result<std::shared_ptr<const Principal>> authenticate_bearer(const ApiContext& ctx,
                                                             const http::Request& request) {
  auto token = parse_bearer_authorization(request.header("Authorization"));
  if (!token) return fail(token.error());
  // A JWT from an API-key exchange (seeds 003/004) works wherever an account
  // token does; the two never look alike (lk_at_… has no dots).
  if (ctx.jwts != nullptr && JwtService::looks_like_jwt(*token)) {
    return ctx.jwts->authenticate(*token);
  }
  return ctx.account_tokens.authenticate(*token);
}

RequestOrigin origin_of(const http::Request& request) {
  return {request.remote_ip, std::string(request.header("User-Agent").value_or(""))};
}

}  // namespace latchkey::api
