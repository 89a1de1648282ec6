#include "api/exchange_handlers.h"

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "core/secret.h"
#include "http/error_response.h"
#include "keys/key_service.h"
#include "pipeline/origin_check.h"
#include "tokens/jwt_service.h"

namespace latchkey::api {
namespace {

Result<JwtService*> jwt_service(const ApiContext& ctx) {
  if (ctx.jwts == nullptr) {
    return fail(Error::unavailable("API-key token exchange is not enabled on this server"));
  }
  return ctx.jwts;
}

struct ExchangeRequest {
  std::string api_key;
  std::optional<std::string> session_id;
};

// {"api_key": "...", ["session_id": "..."]}: anything else is a 400.
Result<ExchangeRequest> parse_exchange(const http::Request& request, bool with_session) {
  auto body = parse_object_body(request);
  if (!body) return fail(body.error());
  auto unknown = with_session ? reject_unknown_fields(*body, {"api_key", "session_id"})
                              : reject_unknown_fields(*body, {"api_key"});
  if (!unknown) return fail(unknown.error());
  auto api_key = optional_string(*body, "api_key");
  if (!api_key) return fail(api_key.error());
  if (!*api_key || (*api_key)->empty()) {
    return fail(Error::invalid_request("field \"api_key\" is required"));
  }
  ExchangeRequest out{std::move(**api_key), std::nullopt};
  if (with_session) {
    auto session = optional_string(*body, "session_id");
    if (!session) return fail(session.error());
    out.session_id = std::move(*session);
  }
  return out;
}

AuditEvent exchange_event(const ApiContext& ctx, const http::Request& request, std::string action,
                          const std::string& api_key) {
  AuditEvent event = audit_event(ctx, request, nullptr, std::move(action), "api_key");
  event.credential = api_key.empty() ? std::string() : "key " + mask_secret(api_key);
  return event;
}

void audit_denied(pipeline::Exchange& ex, AuditEvent event, const Error& error) {
  event.decision = AuditDecision::kDeny;
  event.reason = error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
  audit(ex, std::move(event));
}

void audit_issued(pipeline::Exchange& ex, AuditEvent event, const IssuedJwt& issued) {
  if (issued.principal) {
    event.principal_id = issued.principal->user_id;
    event.principal_name = issued.principal->name;
    if (issued.principal->key) {
      event.resource = "api_key/" + issued.principal->key->key_id;
      event.credential = "key " + issued.principal->key->masked_key;
    }
  }
  audit(ex, std::move(event));
}

http::Response token_response(const ApiContext& ctx, Json body, const IssuedJwt& issued) {
  http::Response r = json_response(200, body);
  r.set_header("Cache-Control", "no-store");
  r.set_header("Pragma", "no-cache");
  // Issue 4: a key expiring within the warning window says so when used.
  if (issued.key_expires_at) {
    const Duration window = ctx.keys != nullptr ? ctx.keys->options().expiry_warning
                                                : keys::KeyServiceOptions{}.expiry_warning;
    if (auto warning = keys::expiry_warning(*issued.key_expires_at, ctx.clock.now(), window)) {
      r.set_header(std::string(keys::kKeyExpiresSoonHeader), *warning);
    }
  }
  if (issued.principal) r.principal_for_log = issued.principal->user_id;
  return r;
}

// Issue 14: the presented key's creation time when it is a valid key (the
// exchange itself says why another is refused); refused past the hard
// maximum age, and refused from an address outside the owner's allowed
// origins (docs/origin-restrictions.md: the user's list is a ceiling for
// every credential of the user; the key's own list was checked by the
// authenticate stage). An exchange reads the owner anyway.
Result<std::optional<Instant>> key_issuance_check(const ApiContext& ctx,
                                                  const http::Request& request,
                                                  const std::string& api_key) {
  if (ctx.keys == nullptr) return std::optional<Instant>();
  auto key = ctx.keys->authenticate(api_key);
  if (!key) return std::optional<Instant>();
  if (auto s = check_key_issuance(ctx, key->created_at); !s) return fail(s.error());
  auto owner = ctx.store.get_user(key->user_id);
  if (owner && !owner->allowed_origins.empty()) {
    if (auto refused =
            pipeline::origin_refusal(OriginRestriction::of(owner->allowed_origins),
                                     request.remote_ip, pipeline::OriginSubject::kApiKey)) {
      return fail(std::move(*refused));
    }
  }
  // A missing owner or a store failure is the exchange's own answer.
  return std::optional<Instant>(key->created_at);
}

// The key's hard deadline (secret_hard_max_age_days), when the key is known.
std::optional<Instant> deadline_of(const ApiContext& ctx, const std::optional<Instant>& created) {
  return created ? credential_deadline(ctx, *created) : std::nullopt;
}

Json optional_time(const std::optional<Instant>& at) {
  return at ? Json(format_rfc3339(*at)) : Json(nullptr);
}

}  // namespace

http::Response exchange_access_token(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    auto parsed = parse_exchange(request, /*with_session=*/false);
    if (!parsed) {
      audit_denied(ex, exchange_event(ctx, request, "key.token.access", ""), parsed.error());
      return fail(parsed.error());
    }
    AuditEvent event = exchange_event(ctx, request, "key.token.access", parsed->api_key);
    auto created = key_issuance_check(ctx, request, parsed->api_key);
    if (!created) {
      audit_denied(ex, std::move(event), created.error());
      return fail(created.error());
    }
    auto issued =
        (*jwts)->exchange_access(parsed->api_key, origin_of(request), deadline_of(ctx, *created));
    if (!issued) {
      audit_denied(ex, std::move(event), issued.error());
      return fail(issued.error());
    }
    audit_issued(ex, std::move(event), *issued);
    // seed 004: exactly this shape.
    http::Response r = token_response(
        ctx, Json{{"access_token", issued->access_token}, {"expires_in", issued->expires_in}},
        *issued);
    if (*created) note_rotation_due(ctx, **created, r);
    return r;
  }());
}

http::Response login_with_api_key(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    auto parsed = parse_exchange(request, /*with_session=*/true);
    if (!parsed) {
      audit_denied(ex, exchange_event(ctx, request, "key.login", ""), parsed.error());
      return fail(parsed.error());
    }
    AuditEvent event = exchange_event(ctx, request, "key.login", parsed->api_key);
    auto created = key_issuance_check(ctx, request, parsed->api_key);
    if (!created) {
      audit_denied(ex, std::move(event), created.error());
      return fail(created.error());
    }
    auto issued = (*jwts)->login(parsed->api_key, parsed->session_id.value_or(""),
                                 origin_of(request), deadline_of(ctx, *created));
    if (!issued) {
      audit_denied(ex, std::move(event), issued.error());
      return fail(issued.error());
    }
    audit_issued(ex, std::move(event), *issued);
    // seed 003: exactly this shape.
    http::Response r = token_response(ctx,
                                      Json{{"access_token", issued->access_token},
                                           {"expires_in", issued->expires_in},
                                           {"token_type", "Bearer"}},
                                      *issued);
    if (*created) note_rotation_due(ctx, **created, r);
    return r;
  }());
}

http::Response list_key_sessions(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const std::string key_id(params.get("id"));
    auto sessions = (*jwts)->list_sessions(**actor, key_id);
    if (!sessions) return fail(sessions.error());
    audit(ex, audit_event(ctx, request, actor->get(), "key.sessions.list", "api_key/" + key_id));
    const Instant now = ctx.clock.now();
    Json list = Json::array();
    for (const LoginSessionInfo& s : *sessions) {
      const char* status = s.revoked_at                ? "revoked"
                           : now >= s.token_expires_at ? "expired"
                                                       : "active";
      list.push_back(Json{{"session_id", s.session_id},
                          {"status", status},
                          {"created_at", format_rfc3339(s.created_at)},
                          {"token_issued_at", format_rfc3339(s.token_issued_at)},
                          {"token_expires_at", format_rfc3339(s.token_expires_at)},
                          {"revoked_at", optional_time(s.revoked_at)}});
    }
    http::Response r = json_response(200, Json{{"key_id", key_id}, {"sessions", list}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response revoke_key_session(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto jwts = jwt_service(ctx);
    if (!jwts) return fail(jwts.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const std::string key_id(params.get("id"));
    const std::string session_id(params.get("session_id"));
    const std::string resource = "api_key/" + key_id + "/session/" + session_id;
    if (auto s = audit_admin_change(
            ctx, ex, audit_event(ctx, request, actor->get(), "key.session.revoke", resource));
        !s) {
      return fail(s.error());
    }
    if (auto s = (*jwts)->revoke_session(**actor, key_id, session_id); !s) {
      AuditEvent event = audit_event(ctx, request, actor->get(), "key.session.revoke", resource);
      audit_denied(ex, std::move(event), s.error());
      return fail(s.error());
    }
    http::Response r = http::Response::no_content();
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
