#include "api/jwks_handlers.h"

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "tokens/jwt_service.h"

namespace latchkey::api {
namespace {

Result<JwtService*> jwt_service(const ApiContext& ctx) {
  if (ctx.jwts == nullptr) return fail(Error::unavailable("JWTs are not enabled on this server"));
  return ctx.jwts;
}

Json key_to_json(const SigningKeyInfo& k) {
  return Json{{"kid", k.kid},
              {"current", k.current},
              {"created_at", format_rfc3339(k.created_at)},
              {"retired_at", k.retired_at ? Json(format_rfc3339(*k.retired_at)) : Json(nullptr)},
              {"verify_until", k.current ? Json(nullptr) : Json(format_rfc3339(k.verify_until))},
              {"public_jwk", Json::parse(k.public_jwk_json)}};
}

Result<std::shared_ptr<const Principal>> admin(const pipeline::Exchange& ex) {
  auto actor = verified_caller(ex);
  if (!actor) return fail(actor.error());
  if (auto s = require_admin(**actor); !s) return fail(s.error());
  return actor;
}

}  // namespace

http::Response jwks(const ApiContext& ctx, pipeline::Exchange&) {
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    http::Response r = http::Response::json(200, (*jwts)->jwks_json());
    r.set_header("Content-Type", "application/jwk-set+json");
    r.set_header("Cache-Control", "public, max-age=300");
    return r;
  }());
}

http::Response list_signing_keys(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    auto actor = admin(ex);
    if (!actor) return fail(actor.error());
    Json list = Json::array();
    for (const SigningKeyInfo& k : (*jwts)->signing_keys()) list.push_back(key_to_json(k));
    audit(ex, audit_event(ctx, request, actor->get(), "signing_keys.list", "signing_keys"));
    http::Response r = json_response(200, Json{{"keys", list}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response rotate_signing_keys(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    auto actor = admin(ex);
    if (!actor) return fail(actor.error());
    auto body = parse_object_body(request, /*allow_empty=*/true);
    if (!body) return fail(body.error());
    if (auto s = reject_unknown_fields(*body, {}); !s) return fail(s.error());
    if (auto s = audit_admin_change(
            ctx, ex,
            audit_event(ctx, request, actor->get(), "signing_keys.rotate", "signing_keys"));
        !s) {
      return fail(s.error());
    }
    auto rotated = (*jwts)->rotate_signing_key();
    if (!rotated) return fail(rotated.error());
    http::Response r = json_response(200, key_to_json(*rotated));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
