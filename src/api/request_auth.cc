#include "api/request_auth.h"

#include "api/credentials.h"

namespace latchkey::api {

Result<std::shared_ptr<const Principal>> authenticate_bearer(const ApiContext& ctx,
                                                             const http::Request& request) {
  auto token = parse_bearer_authorization(request.header("Authorization"));
  if (!token) return fail(token.error());
  return ctx.account_tokens.authenticate(*token);
}

RequestOrigin origin_of(const http::Request& request) {
  return {request.remote_ip, std::string(request.header("User-Agent").value_or(""))};
}

}  // namespace latchkey::api
