#include "api/console_handlers.h"

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/oauth_handlers.h"
#include "api/origin_handlers.h"
#include "api/request_auth.h"
#include "audit/audit_query.h"
#include "console_auth/console_auth_service.h"
#include "core/redaction.h"
#include "http/error_response.h"
#include "http/message.h"
#include "pipeline/credentials.h"
#include "pipeline/origin_check.h"
#include "tokens/jwt_service.h"
#include "tokens/principal_of_user.h"

namespace latchkey::api {
namespace {

using console_auth::ConsoleAuthService;
using console_auth::SessionView;

constexpr auto kExplorerTokenTtl = std::chrono::seconds(300);

// "scheme://host[:port]" of the configured public URL, without its path;
// empty when none is configured.
std::string public_origin_of(const ApiContext& ctx) {
  if (ctx.oauth == nullptr || ctx.oauth->public_url.empty()) return {};
  const std::string& url = ctx.oauth->public_url;
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const std::size_t path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

class ConsoleSessions final : public pipeline::ConsoleSessionVerifier {
 public:
  explicit ConsoleSessions(const ApiContext& ctx) : ctx_(ctx) {}

  Result<pipeline::ConsoleCaller> verify(std::string_view cookie_secret) override {
    if (ctx_.console_auth == nullptr) {
      return fail(Error::invalid_token("session_invalid", "no valid console session"));
    }
    auto view = ctx_.console_auth->lookup(cookie_secret);
    if (!view) return fail(view.error());
    auto credential = ctx_.store.client_credential_of_user(view->user.id);
    if (!credential) return fail(credential.error());
    std::shared_ptr<Principal> principal =
        principal_of_user(view->user, *credential ? (*credential)->client_id : std::string(),
                          view->session.created_at, view->session.expires_at);
    principal->credential = "session " + view->session.id;
    return pipeline::ConsoleCaller{std::move(principal), view->session.id,
                                   view->session.csrf_digest};
  }

  std::string public_origin() const override { return public_origin_of(ctx_); }
  std::string_view cookie_name() const override;

 private:
  const ApiContext& ctx_;
};

http::Response error_of(pipeline::Exchange& ex, const Error& error) {
  ex.refusal_reason =
      error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
  http::Response r = http::error_response(error);
  // Every password-hashing slot was taken (console_auth/hashing_gate.h).
  if (error.reason == "password_hashing_busy") r.set_header("Retry-After", "1");
  return r;
}

http::Response no_store(http::Response r) {
  r.set_header("Cache-Control", "no-store");
  r.set_header("Pragma", "no-cache");
  return r;
}

bool secure_cookie(const ApiContext& ctx) {
  return ctx.oauth != nullptr && (ctx.oauth->tls || ctx.oauth->public_url.starts_with("https://"));
}

// On https the cookie is "__Host-" (Secure, Path=/, no Domain): a sibling
// subdomain cannot plant one (cookie tossing).
std::string_view cookie_name_of(const ApiContext& ctx) {
  return secure_cookie(ctx) ? pipeline::kSecureSessionCookieName : pipeline::kSessionCookieName;
}

std::string_view ConsoleSessions::cookie_name() const { return cookie_name_of(ctx_); }

std::string session_cookie(const ApiContext& ctx, std::string_view value, bool clear) {
  std::string cookie = std::string(cookie_name_of(ctx)) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Strict";
  if (clear) cookie += "; Max-Age=0";
  if (secure_cookie(ctx)) cookie += "; Secure";
  return cookie;
}

Json session_json(const SessionView& view, const std::optional<std::string>& client_id,
                  const std::string& csrf_token) {
  const User& user = view.user;
  return Json{{"session_id", view.session.id},
              {"csrf_token", csrf_token},
              {"expires_at", format_rfc3339(view.session.expires_at)},
              {"idle_expires_at", format_rfc3339(view.idle_expires_at)},
              {"user",
               {{"id", user.id},
                {"name", user.name},
                {"type", to_string(user.type)},
                {"modules", user.modules},
                {"api_access", user.api_access},
                {"client_id", client_id ? Json(*client_id) : Json(nullptr)}}}};
}

Result<std::optional<std::string>> client_id_of(const ApiContext& ctx, std::string_view user_id) {
  auto credential = ctx.store.client_credential_of_user(user_id);
  if (!credential) return fail(credential.error());
  if (!*credential) return std::optional<std::string>();
  return std::optional<std::string>((*credential)->client_id);
}

Error no_console() { return Error::unavailable("the console's sign-in is not configured"); }

// The route needs the session itself (not a bearer token).
Status require_session(const pipeline::Exchange& ex) {
  if (ex.console_session_id.empty()) {
    return fail(
        Error::invalid_token("session_required", "this call needs the console's session cookie"));
  }
  return {};
}

// {"key": "..."} strings of a small JSON body; kInvalidRequest otherwise.
Result<std::string> required_string(const Json& body, std::string_view key) {
  auto value = optional_string(body, key);
  if (!value) return fail(value.error());
  if (!*value) return fail(Error::invalid_request("\"" + std::string(key) + "\" is required"));
  return std::move(**value);
}

// Login CSRF: the public routes (sign-in, invitations) carry no session to
// check a CSRF token against, and a cross-site <form enctype="text/plain">
// can post a body that parses as JSON, signing the victim in as the
// attacker. A form cannot send Content-Type: application/json (that needs a
// CORS preflight, which is never granted), and a browser names the page's
// origin: only JSON, and only from this origin when an Origin is sent.
Status check_public_post(const ApiContext& ctx, const http::Request& request) {
  std::string_view type = request.header("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  if (!http::iequals(type, "application/json")) {
    return fail(Error{ErrorCode::kUnsupportedMediaType, "send Content-Type: application/json"});
  }
  if (auto origin = request.header("Origin")) {
    if (!pipeline::same_origin(*origin, request.header("Host").value_or(""),
                               public_origin_of(ctx))) {
      return fail(Error::forbidden("the request comes from another origin")
                      .with_reason("csrf_token_invalid"));
    }
  }
  return {};
}

// What every public console POST (sign-in, invitations) checks before its own
// work, in this order: the console is configured, check_public_post, a JSON
// object with no field but `fields`, each a required string. The strings come
// back in the order of `fields`.
Result<std::vector<std::string>> public_post_strings(
    const ApiContext& ctx, const http::Request& request,
    std::initializer_list<std::string_view> fields) {
  if (ctx.console_auth == nullptr) return fail(no_console());
  if (auto s = check_public_post(ctx, request); !s) return fail(s.error());
  auto body = parse_object_body(request);
  if (!body) return fail(body.error());
  if (auto s = reject_unknown_fields(*body, fields); !s) return fail(s.error());
  std::vector<std::string> out;
  for (std::string_view field : fields) {
    auto value = required_string(*body, field);
    if (!value) return fail(value.error());
    out.push_back(std::move(*value));
  }
  return out;
}

// Records `event` as denied for `error` (its reason, else the error's name)
// and answers with the error.
http::Response audited_refusal(pipeline::Exchange& ex, AuditEvent& event, const Error& error) {
  event.decision = AuditDecision::kDeny;
  event.reason = error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
  audit(ex, std::move(event));
  return error_of(ex, error);
}

}  // namespace

std::unique_ptr<pipeline::ConsoleSessionVerifier> make_console_session_verifier(
    const ApiContext& ctx) {
  return std::make_unique<ConsoleSessions>(ctx);
}

http::Response console_sign_in(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  AuditEvent event = audit_event(ctx, request, nullptr, "console.sign_in", "console");
  auto answer = [&](const Error& error) { return audited_refusal(ex, event, error); };
  auto fields = public_post_strings(ctx, request, {"username", "password"});
  if (!fields) return answer(fields.error());
  const std::string& username = (*fields)[0];
  const std::string& password = (*fields)[1];
  // Not verified yet: only the name of an existing user is recorded (a
  // password typed into the username field is not a user's name, so it is
  // never kept), sanitised.
  if (auto known = ctx.store.find_user_by_name(username); known && *known) {
    event.credential = "user " + sanitize_for_display(username);
  } else {
    event.credential = "user (unknown)";
  }
  auto signed_in = ctx.console_auth->sign_in(
      console_auth::SignInRequest{username, password, request.remote_ip,
                                  std::string(request.header("User-Agent").value_or(""))});
  if (!signed_in) {
    if (signed_in.error().reason != "invalid_credentials") return answer(signed_in.error());
    event.decision = AuditDecision::kDeny;
    event.reason = "invalid_credentials";
    audit(ex, std::move(event));
    ex.refusal_reason = "invalid_credentials";
    // One answer for an unknown user, a wrong password, a service account
    // and a disabled user (docs/console.md).
    return json_response(401, Json{{"error", "invalid_credentials"},
                                   {"error_description", "the username or password is wrong"}});
  }
  const User& user = signed_in->view.user;
  event.principal_id = user.id;
  event.principal_name = user.name;
  event.credential = "session " + signed_in->view.session.id;
  event.resource = "user/" + user.id;
  audit(ex, std::move(event));
  auto client_id = client_id_of(ctx, user.id);
  http::Response r = json_response(
      200,
      session_json(signed_in->view, client_id ? *client_id : std::nullopt, signed_in->csrf_token));
  r.set_header("Set-Cookie", session_cookie(ctx, signed_in->cookie_secret, false));
  r.principal_for_log = user.id;
  return no_store(std::move(r));
}

http::Response console_session(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (auto s = require_session(ex); !s) return error_of(ex, s.error());
  if (ctx.console_auth == nullptr) return error_of(ex, no_console());
  // The stage verified the cookie (the one that verified, of several): its
  // CSRF token is derived from it.
  const std::string& cookie = ex.console_cookie;
  if (cookie.empty()) {
    return error_of(ex, Error::invalid_token("session_invalid", "no console session"));
  }
  auto view = ctx.console_auth->lookup(cookie);
  if (!view) return error_of(ex, view.error());
  ex.audit_resource = "user/" + view->user.id;
  auto client_id = client_id_of(ctx, view->user.id);
  if (!client_id) return error_of(ex, client_id.error());
  http::Response r = json_response(
      200, session_json(*view, *client_id, ConsoleAuthService::csrf_token_for(cookie)));
  r.principal_for_log = view->user.id;
  return no_store(std::move(r));
}

http::Response console_sign_out(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (auto s = require_session(ex); !s) return error_of(ex, s.error());
  if (ctx.console_auth == nullptr) return error_of(ex, no_console());
  ex.audit_resource = "session/" + ex.console_session_id;
  if (auto s = ctx.console_auth->sign_out(ex.console_session_id); !s) {
    return error_of(ex, s.error());
  }
  http::Response r = http::Response::no_content();
  r.set_header("Set-Cookie", session_cookie(ctx, "", true));
  return r;
}

http::Response console_list_sessions(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (ctx.console_auth == nullptr) return error_of(ex, no_console());
  const Principal& caller = *ex.principal;
  std::string user_id = caller.user_id;
  auto query = audit::parse_query_string(ex.request().query(), {"user_id"});
  if (!query) return error_of(ex, query.error());
  if (auto wanted = audit::param(*query, "user_id"); wanted && *wanted != caller.user_id) {
    if (!caller.is_admin()) {
      return error_of(ex, Error::forbidden("only an admin lists another user's sessions"));
    }
    user_id = std::string(*wanted);
  }
  ex.audit_resource = "user/" + user_id;
  auto sessions = ctx.console_auth->sessions_of(user_id);
  if (!sessions) return error_of(ex, sessions.error());
  Json list = Json::array();
  for (const SessionView& view : *sessions) {
    const ConsoleSession& s = view.session;
    list.push_back(Json{{"id", s.id},
                        {"created_at", format_rfc3339(s.created_at)},
                        {"last_seen_at", format_rfc3339(s.last_seen_at)},
                        {"idle_expires_at", format_rfc3339(view.idle_expires_at)},
                        {"expires_at", format_rfc3339(s.expires_at)},
                        {"ip", s.ip},
                        {"user_agent", sanitize_for_display(s.user_agent)},
                        {"current", s.id == ex.console_session_id}});
  }
  return json_response(200, Json{{"sessions", std::move(list)}});
}

http::Response console_revoke_session(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (ctx.console_auth == nullptr) return error_of(ex, no_console());
  const std::string id(ex.params().get("id"));
  ex.audit_resource = "session/" + sanitize_for_display(id);
  if (auto s = ctx.console_auth->revoke(*ex.principal, id); !s) return error_of(ex, s.error());
  http::Response r = http::Response::no_content();
  // Revoking the session in use also clears its cookie.
  if (id == ex.console_session_id) r.set_header("Set-Cookie", session_cookie(ctx, "", true));
  return r;
}

http::Response console_create_invitation(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (ctx.console_auth == nullptr) return error_of(ex, no_console());
  const std::string id(ex.params().get("id"));
  ex.audit_resource = "user/" + sanitize_for_display(id);
  auto issued = ctx.console_auth->invite(id);
  if (!issued) return error_of(ex, issued.error());
  const std::string url = public_base_url(ctx, ex.request()) + "/console/invite#" + issued->token;
  http::Response r = json_response(
      201, Json{{"invitation_url", url}, {"expires_at", format_rfc3339(issued->expires_at)}});
  return no_store(std::move(r));
}

http::Response console_inspect_invitation(const ApiContext& ctx, pipeline::Exchange& ex) {
  auto fields = public_post_strings(ctx, ex.request(), {"token"});
  if (!fields) return error_of(ex, fields.error());
  auto info = ctx.console_auth->inspect_invitation((*fields)[0]);
  if (!info) return error_of(ex, info.error());
  return no_store(json_response(
      200, Json{{"username", info->username}, {"expires_at", format_rfc3339(info->expires_at)}}));
}

http::Response console_accept_invitation(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  AuditEvent event = audit_event(ctx, request, nullptr, "console.invitation.accept", "console");
  auto answer = [&](const Error& error) { return audited_refusal(ex, event, error); };
  auto fields = public_post_strings(ctx, request, {"token", "password"});
  if (!fields) return answer(fields.error());
  const std::string& token = (*fields)[0];
  const std::string& password = (*fields)[1];
  auto info = ctx.console_auth->inspect_invitation(token);
  if (!info) return answer(info.error());
  if (auto s = ctx.console_auth->accept_invitation(token, password); !s) {
    return answer(s.error());
  }
  event.principal_name = info->username;
  if (auto user = ctx.store.find_user_by_name(info->username); user && *user) {
    event.principal_id = (*user)->id;
    event.resource = "user/" + (*user)->id;
  }
  audit(ex, std::move(event));
  return http::Response::no_content();
}

http::Response console_access_token(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (auto s = require_session(ex); !s) return error_of(ex, s.error());
  const Principal& caller = *ex.principal;
  ex.audit_resource = "user/" + caller.user_id;
  auto user = ctx.store.get_user(caller.user_id);
  if (!user) return error_of(ex, user.error());
  if (!user->api_access) {
    return error_of(ex, Error::invalid_token("api_access_disabled",
                                             "API access is disabled for this user; contact "
                                             "your administrator"));
  }
  if (caller.client_id.empty()) {
    return error_of(ex, Error::conflict("the user has no Client ID yet; reset the secret key first")
                            .with_reason("no_client_credential"));
  }
  // The user's origin restriction binds the tokens of their Client ID
  // (docs/origin-restrictions.md), whichever way they are issued.
  if (auto refused =
          pipeline::origin_refusal(OriginRestriction::of(user->allowed_origins),
                                   ex.request().remote_ip, pipeline::OriginSubject::kClient)) {
    return error_of(ex, *refused);
  }
  // The same issuance as POST /api/v1/account/token: it supersedes the
  // current token (seed 000).
  auto issued = ctx.account_tokens.issue(*user, caller.client_id, origin_of(ex.request()));
  if (!issued) return error_of(ex, issued.error());
  if (issued->interference) report_interference(ctx, ex.request(), *issued->interference);
  http::Response r = json_response(200, Json{{"access_token", issued->access_token},
                                             {"token_type", "bearer"},
                                             {"expires_in", issued->expires_in},
                                             {"scope", "read write"}});
  r.principal_for_log = user->id;
  return no_store(std::move(r));
}

http::Response console_explorer_token(const ApiContext& ctx, pipeline::Exchange& ex) {
  if (auto s = require_session(ex); !s) return error_of(ex, s.error());
  if (ctx.console_auth == nullptr) return error_of(ex, no_console());
  if (ctx.jwts == nullptr) {
    return error_of(ex, Error::unavailable("JWTs are not configured on this server"));
  }
  const Principal& caller = *ex.principal;
  ex.audit_resource = "user/" + caller.user_id;
  auto user = ctx.store.get_user(caller.user_id);
  if (!user) return error_of(ex, user.error());
  if (!user->api_access) {
    return error_of(ex, Error::invalid_token("api_access_disabled",
                                             "API access is disabled for this user; contact "
                                             "your administrator"));
  }
  // Never past the session's end: min(300 s, its idle or absolute expiry as
  // of now). Using the token does not refresh the session, so the token
  // cannot outlive it; an end before that (sign-out, revoke, ...) revokes it.
  auto view = ctx.console_auth->lookup(ex.console_cookie);
  if (!view) return error_of(ex, view.error());
  const auto left =
      std::chrono::floor<std::chrono::seconds>(view->idle_expires_at - ctx.clock.now());
  if (left <= std::chrono::seconds::zero()) {
    return error_of(ex, Error::invalid_token("session_expired", "the console session has expired"));
  }
  if (auto refused =
          pipeline::origin_refusal(OriginRestriction::of(user->allowed_origins),
                                   ex.request().remote_ip, pipeline::OriginSubject::kClient)) {
    return error_of(ex, *refused);
  }
  auto issued = ctx.jwts->issue_client_credentials(*user, caller.client_id, /*read_only=*/false,
                                                   std::min<Duration>(kExplorerTokenTtl, left));
  if (!issued) return error_of(ex, issued.error());
  // Ends with the session (revoked by jti at sign-out, revoke, ...).
  if (issued->principal == nullptr || issued->principal->token_id.empty()) {
    return error_of(ex, Error::internal("the explorer token has no jti"));
  }
  if (auto s = ctx.console_auth->note_session_token(ConsoleSessionToken{
          issued->principal->token_id, ex.console_session_id, user->id, issued->expires_at});
      !s) {
    return error_of(ex, s.error());  // not handed out: it could outlive the session
  }
  http::Response r = json_response(200, Json{{"access_token", issued->access_token},
                                             {"token_type", "bearer"},
                                             {"expires_in", issued->expires_in},
                                             {"scope", "read write"}});
  r.principal_for_log = user->id;
  return no_store(std::move(r));
}

}  // namespace latchkey::api
