#include "api/account_handlers.h"

#include "api/credentials.h"
#include "api/json_io.h"
#include "api/request_auth.h"

namespace latchkey::api {

http::Response issue_account_token(const ApiContext& ctx, const http::Request& request) {
  return respond([&]() -> Result<http::Response> {
    auto basic = parse_basic_authorization(request.header("Authorization"));
    if (!basic) return fail(basic.error());
    auto client = ctx.client_authenticator.authenticate(basic->client_id, basic->client_secret);
    if (!client) return fail(client.error());
    auto issued = ctx.account_tokens.issue(client->user, client->client_id, origin_of(request));
    if (!issued) return fail(issued.error());

    // seed 000: exactly this shape.
    http::Response r = json_response(200, Json{{"access_token", issued->access_token},
                                               {"token_type", "bearer"},
                                               {"expires_in", issued->expires_in},
                                               {"scope", "read write"}});
    r.set_header("Cache-Control", "no-store");
    r.set_header("Pragma", "no-cache");
    r.principal_for_log = client->user.id;
    return r;
  }());
}

http::Response revoke_account_token(const ApiContext& ctx, const http::Request& request) {
  return respond([&]() -> Result<http::Response> {
    auto token = parse_bearer_authorization(request.header("Authorization"));
    if (!token) return fail(token.error());
    if (auto s = ctx.account_tokens.revoke(*token); !s) return fail(s.error());
    return http::Response::no_content();
  }());
}

http::Response account_me(const ApiContext& ctx, const http::Request& request) {
  return respond([&]() -> Result<http::Response> {
    auto principal = authenticate_bearer(ctx, request);
    if (!principal) return fail(principal.error());
    const Principal& p = **principal;
    const Instant now = ctx.clock.now();
    http::Response r =
        json_response(200, Json{{"id", p.user_id},
                                {"name", p.name},
                                {"type", to_string(p.type)},
                                {"api_access", p.api_access},
                                {"modules", p.modules},
                                {"client_id", p.client_id},
                                {"token",
                                 {{"issued_at", format_rfc3339(p.token_issued_at)},
                                  {"expires_at", format_rfc3339(p.token_expires_at)},
                                  {"expires_in", seconds_until(now, p.token_expires_at)}}}});
    r.principal_for_log = p.user_id;
    return r;
  }());
}

}  // namespace latchkey::api
