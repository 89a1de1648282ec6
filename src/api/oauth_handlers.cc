#include "api/oauth_handlers.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <expected>

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/form_urlencoded.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "core/encoding.h"
#include "core/redaction.h"
#include "core/secret.h"
#include "http/error_response.h"
#include "limits/limits.h"
#include "pipeline/credentials.h"
#include "pipeline/origin_check.h"
#include "pipeline/services.h"
#include "tokens/jwt_service.h"

namespace latchkey::api {
namespace {

constexpr std::string_view kScopeRead = "read";
constexpr std::string_view kScopeWrite = "write";
constexpr std::string_view kScopeAll = "read write";

// An error of RFC 6749 §5.2 (also used by RFC 7009 and 7662): the body is
// {"error", "error_description"}, and "reason" when latchkey knows more
// (e.g. api_access_disabled).
struct OAuthError {
  int status = 400;
  std::string error;
  std::string description;
  bool basic_challenge = false;         // WWW-Authenticate: Basic (the client used Basic)
  std::chrono::seconds retry_after{0};  // throttled
  std::optional<Error> latchkey_error;  // a store failure: the standard 5xx instead
  std::string reason;                   // machine-readable detail, "" when none
};

OAuthError invalid_request(std::string description) {
  return {400, "invalid_request", std::move(description)};
}

void no_store(http::Response& r) {
  r.set_header("Cache-Control", "no-store");
  r.set_header("Pragma", "no-cache");
}

http::Response error_response(const OAuthError& e) {
  if (e.latchkey_error) {
    http::Response r = http::error_response(*e.latchkey_error);
    no_store(r);
    return r;
  }
  Json body{{"error", e.error}, {"error_description", redact_secret_runs(e.description)}};
  if (!e.reason.empty()) body["reason"] = e.reason;
  http::Response r = json_response(e.status, body);
  no_store(r);
  if (e.status == 401 && e.basic_challenge) {
    r.set_header("WWW-Authenticate", "Basic realm=\"latchkey\"");
  }
  if (e.retry_after.count() > 0) r.set_header("Retry-After", std::to_string(e.retry_after.count()));
  return r;
}

// The audit reason of a refusal: the OAuth error, or origin_not_allowed
// (docs/origin-restrictions.md: a refused origin is audited as such).
// Refusals audited under their own reason, as on the seed-000 exchange: a
// refused origin, a rotated secret, a secret past its hard maximum age, an
// expired service account.
bool audited_by_reason(std::string_view reason) {
  return reason == pipeline::kOriginNotAllowed || reason == "rotated" ||
         reason == "secret_too_old" || reason == "account_expired";
}

std::string audit_reason(const OAuthError& e) {
  if (audited_by_reason(e.reason)) return e.reason;
  if (e.latchkey_error) {
    if (audited_by_reason(e.latchkey_error->reason)) return e.latchkey_error->reason;
    return std::string(http::error_name(e.latchkey_error->code));
  }
  return e.error;
}

void audit_denied(pipeline::Exchange& ex, AuditEvent event, std::string_view reason) {
  event.decision = AuditDecision::kDeny;
  event.reason = std::string(reason);
  audit(ex, std::move(event));
}

// The form body of an OAuth request: the right Content-Type, well formed,
// no parameter twice (RFC 6749 §3.2).
std::expected<FormFields, OAuthError> read_form(const http::Request& request) {
  if (!is_form_urlencoded(request.header("Content-Type"))) {
    return std::unexpected(
        invalid_request("the request body must be application/x-www-form-urlencoded"));
  }
  auto form = parse_form_urlencoded(request.body);
  if (!form) return std::unexpected(invalid_request(form.error().description));
  if (auto name = form->repeated()) {
    return std::unexpected(invalid_request("the parameter" + quoted_name(*name) + " is repeated"));
  }
  return std::move(*form);
}

bool is_bearer_header(std::optional<std::string_view> header) {
  return header && header->size() >= 7 && http::iequals(header->substr(0, 7), "Bearer ");
}

struct PresentedClient {
  std::string client_id;
  std::string secret;
  bool basic = false;
};

// client_secret_basic (RFC 6749 §2.3.1: id and secret form-urlencoded, then
// base64) or client_secret_post; never both (§2.3).
std::expected<PresentedClient, OAuthError> presented_client(const http::Request& request,
                                                            const FormFields& form) {
  const auto header = request.header("Authorization");
  const auto body_id = form.value("client_id");
  const auto body_secret = form.value("client_secret");
  if (header) {
    if (body_secret) {
      return std::unexpected(invalid_request(
          "use one client authentication method: the Authorization header or client_secret in "
          "the body, not both"));
    }
    auto basic = parse_basic_authorization(header);
    if (!basic) {
      return std::unexpected(OAuthError{401, "invalid_client", basic.error().description, true});
    }
    auto id = form_url_decode(basic->client_id);
    auto secret = form_url_decode(basic->client_secret);
    if (!id || !secret || id->empty() || secret->empty()) {
      return std::unexpected(OAuthError{
          401, "invalid_client", "the Basic credentials are not form-urlencoded correctly", true});
    }
    if (body_id && *body_id != *id) {
      return std::unexpected(
          invalid_request("client_id in the body differs from the Basic credentials"));
    }
    return PresentedClient{std::move(*id), std::move(*secret), true};
  }
  if (!body_id || !body_secret) {
    return std::unexpected(OAuthError{
        401, "invalid_client",
        "client authentication required: send Authorization: Basic base64(client_id:client_secret) "
        "or client_id and client_secret in the body",
        false});
  }
  return PresentedClient{*body_id, *body_secret, false};
}

// Checks the client's secret, throttled against credential stuffing
// (limits/auth_throttle.h).
std::expected<AuthenticatedClient, OAuthError> authenticate_client(const ApiContext& ctx,
                                                                   const http::Request& request,
                                                                   const PresentedClient& client) {
  limits::AuthThrottle* throttle =
      ctx.limits != nullptr ? ctx.limits->auth_throttle.get() : nullptr;
  if (throttle != nullptr) {
    // Admitted atomically with the check (parallel guesses cannot all pass);
    // the outcome is reported below.
    if (auto wait = throttle->begin_attempt(client.client_id, request.remote_ip);
        wait.count() > 0) {
      OAuthError e{429, "temporarily_unavailable",
                   "too many failed authentication attempts; retry after " +
                       std::to_string(wait.count()) + " seconds"};
      e.retry_after = wait;
      return std::unexpected(std::move(e));
    }
  }
  auto authenticated = ctx.client_authenticator.authenticate(client.client_id, client.secret);
  if (authenticated) {
    if (throttle != nullptr) throttle->succeeded(client.client_id, request.remote_ip);
    // Origin restriction (docs/origin-restrictions.md): the same check as
    // the pipeline's, worded as RFC 6749 §5.2 wants.
    if (!authenticated->user.allowed_origins.empty()) {
      if (auto refused =
              pipeline::origin_refusal(OriginRestriction::of(authenticated->user.allowed_origins),
                                       request.remote_ip, pipeline::OriginSubject::kClient)) {
        OAuthError e{401, "invalid_client", refused->description, client.basic};
        e.reason = refused->reason;
        return std::unexpected(std::move(e));
      }
    }
    // An expired service account or a Client Secret past the hard maximum
    // (docs/secret-age.md) no longer authenticates here: not for a token,
    // and not for introspection or revocation either.
    if (auto s = check_client_issuance(ctx, *authenticated); !s) {
      OAuthError e{401, "invalid_client", s.error().description, client.basic};
      e.reason = s.error().reason;
      return std::unexpected(std::move(e));
    }
    return std::move(*authenticated);
  }
  const Error& error = authenticated.error();
  if (error.code != ErrorCode::kInvalidClient) {
    if (throttle != nullptr) throttle->refund(client.client_id, request.remote_ip);
    OAuthError e;
    e.latchkey_error = error;
    return std::unexpected(std::move(e));
  }
  if (error.reason == "user_disabled" || error.reason == "api_access_disabled") {
    // The secret was right: not a guess, so not counted as a failure.
    // seed 001: every call of an account without API access (or disabled)
    // answers 401, the token endpoint included.
    if (throttle != nullptr) throttle->refund(client.client_id, request.remote_ip);
    OAuthError e{401, "invalid_client", error.description, client.basic};
    e.reason = error.reason;
    return std::unexpected(std::move(e));
  }
  // A wrong secret, or a rotated one (docs/rotation.md: counted as a
  // failure, as on the seed-000 exchange, and said so).
  if (throttle != nullptr) throttle->failed(client.client_id, request.remote_ip);
  OAuthError e{401, "invalid_client", error.description, client.basic};
  if (error.reason == "rotated") e.reason = error.reason;
  return std::unexpected(std::move(e));
}

// "read", "write", "read write" (any order) -> read-only or not;
// absent -> "read write". Anything else is invalid_scope.
std::expected<bool, OAuthError> requested_read_only(const std::optional<std::string>& scope) {
  if (!scope) return false;
  bool read = false;
  bool write = false;
  std::string_view rest = *scope;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    const std::string_view token = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (token.empty()) continue;
    if (token == kScopeRead) {
      read = true;
    } else if (token == kScopeWrite) {
      write = true;
    } else {
      // The scope is not quoted back: it may be a misplaced secret.
      return std::unexpected(
          OAuthError{400, "invalid_scope",
                     "the parameter scope holds an unknown scope; the supported scopes are "
                     "\"read\" and \"write\""});
    }
  }
  if (!read && !write) return false;
  return !write;
}

// Any latchkey token, verified as the pipeline verifies a bearer (the
// token here is a form field or, for an admin caller, the Authorization of
// a route whose credential is the OAuth client).
Result<std::shared_ptr<const Principal>> verify_token(const ApiContext& ctx,
                                                      std::string_view token) {
  return pipeline::TokenVerifier(ctx.account_tokens, ctx.jwts).verify(token);
}

// Who calls introspection or revocation: a client (its user), or an admin
// with a bearer token.
struct Caller {
  std::string user_id;
  std::string name;
  std::string credential;  // for audit: "client cli_…" / masked token
  bool admin = false;
};

std::expected<Caller, OAuthError> authenticate_caller(const ApiContext& ctx,
                                                      const http::Request& request,
                                                      const FormFields& form) {
  const auto header = request.header("Authorization");
  if (is_bearer_header(header)) {
    // An administrator's bearer token (this route's credential is the
    // OAuth client, so the pipeline did not verify a bearer).
    auto bearer = parse_bearer_authorization(header);
    if (!bearer) {
      OAuthError e;
      e.latchkey_error = bearer.error();
      return std::unexpected(std::move(e));
    }
    auto principal = verify_token(ctx, *bearer);
    if (!principal) {
      OAuthError e;
      e.latchkey_error = principal.error();
      return std::unexpected(std::move(e));
    }
    if (auto refused = pipeline::origin_refusal((*principal)->origins, request.remote_ip,
                                                pipeline::OriginSubject::kToken)) {
      OAuthError e;
      e.latchkey_error = std::move(*refused);
      return std::unexpected(std::move(e));
    }
    if (!(*principal)->is_admin()) {
      OAuthError e;
      e.latchkey_error = Error::forbidden(
          "a bearer token may call this endpoint only when it administers (ADMIN); clients "
          "authenticate with their Client ID and Secret");
      return std::unexpected(std::move(e));
    }
    auto token = parse_bearer_authorization(header);
    return Caller{(*principal)->user_id, (*principal)->name,
                  token ? "token " + mask_secret(*token) : std::string(), true};
  }
  auto presented = presented_client(request, form);
  if (!presented) return std::unexpected(presented.error());
  auto client = authenticate_client(ctx, request, *presented);
  if (!client) return std::unexpected(client.error());
  return Caller{client->user.id, client->user.name, "client " + client->client_id,
                std::find(client->user.modules.begin(), client->user.modules.end(), kModuleAdmin) !=
                    client->user.modules.end()};
}

std::int64_t unix_seconds(Instant t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The token's principal when it is active; nullopt when it is not (expired,
// revoked, superseded, malformed, unknown); a store failure as an error.
Result<std::shared_ptr<const Principal>> active_principal(const ApiContext& ctx,
                                                          std::string_view token) {
  auto principal = verify_token(ctx, token);
  if (principal) return principal;
  const ErrorCode code = principal.error().code;
  if (code == ErrorCode::kUnavailable || code == ErrorCode::kInternal) {
    return fail(principal.error());
  }
  return std::shared_ptr<const Principal>();
}

std::string scope_of(const Principal& p) {
  const bool read_only = p.read_only || (p.key && p.key->read_only);
  return std::string(read_only ? kScopeRead : kScopeAll);
}

}  // namespace

std::string public_base_url(const ApiContext& ctx, const http::Request& request) {
  if (ctx.oauth != nullptr && !ctx.oauth->public_url.empty()) {
    std::string url = ctx.oauth->public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  const bool tls = ctx.oauth != nullptr && ctx.oauth->tls;
  std::string host(request.header("Host").value_or("localhost"));
  // A Host header is a host[:port]; anything else, or a secret-shaped
  // value (a JWT is dots and letters), is not echoed.
  const bool sane = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  }) && !looks_like_secret(host);
  if (!sane) host = "localhost";
  return std::string(tls ? "https://" : "http://") + host;
}

http::Response oauth_token(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  AuditEvent event = audit_event(ctx, request, nullptr, "oauth.token", "account");
  auto result = [&]() -> std::expected<http::Response, OAuthError> {
    auto form = read_form(request);
    if (!form) return std::unexpected(form.error());
    auto presented = presented_client(request, *form);
    if (!presented) return std::unexpected(presented.error());
    event.credential = "client " + sanitize_for_display(presented->client_id);
    const auto grant_type = form->value("grant_type");
    if (!grant_type)
      return std::unexpected(invalid_request("the parameter grant_type is required"));
    auto client = authenticate_client(ctx, request, *presented);
    if (!client) return std::unexpected(client.error());
    event.principal_id = client->user.id;
    event.principal_name = client->user.name;
    event.resource = "user/" + client->user.id;
    if (*grant_type != "client_credentials") {
      return std::unexpected(
          OAuthError{400, "unsupported_grant_type",
                     "only grant_type=client_credentials is supported by this server"});
    }
    auto read_only = requested_read_only(form->value("scope"));
    if (!read_only) return std::unexpected(read_only.error());
    if (ctx.jwts == nullptr) {
      OAuthError e;
      e.latchkey_error = Error::unavailable("JWTs are not enabled on this server");
      return std::unexpected(std::move(e));
    }
    auto issued = ctx.jwts->issue_client_credentials(
        client->user, client->client_id, *read_only, std::nullopt,
        credential_deadline(ctx, client->secret_created_at));
    if (!issued) {
      OAuthError e;
      e.latchkey_error = issued.error();
      return std::unexpected(std::move(e));
    }
    const std::string scope(*read_only ? kScopeRead : kScopeAll);
    http::Response r = json_response(200, Json{{"access_token", issued->access_token},
                                               {"token_type", "Bearer"},
                                               {"expires_in", issued->expires_in},
                                               {"scope", scope}});
    no_store(r);
    note_rotation_due(ctx, client->secret_created_at, r);
    r.principal_for_log = client->user.id;
    return r;
  }();
  if (!result) {
    const OAuthError& e = result.error();
    audit_denied(ex, std::move(event), audit_reason(e));
    return error_response(e);
  }
  audit(ex, std::move(event));
  return std::move(*result);
}

http::Response oauth_introspect(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  AuditEvent event = audit_event(ctx, request, nullptr, "oauth.introspect", "token");
  auto result = [&]() -> std::expected<http::Response, OAuthError> {
    auto form = read_form(request);
    if (!form) return std::unexpected(form.error());
    auto caller = authenticate_caller(ctx, request, *form);
    if (!caller) return std::unexpected(caller.error());
    event.principal_id = caller->user_id;
    event.principal_name = caller->name;
    event.credential = caller->credential;
    const auto token = form->value("token");
    if (!token) return std::unexpected(invalid_request("the parameter token is required"));
    // token_type_hint is optional and only a hint (RFC 7662 §2.1): every
    // kind of token is looked up anyway.
    auto principal = active_principal(ctx, *token);
    if (!principal) {
      OAuthError e;
      e.latchkey_error = principal.error();
      return std::unexpected(std::move(e));
    }
    Json body;
    if (!*principal) {
      body = Json{{"active", false}};  // nothing else (RFC 7662 §2.2)
    } else {
      const Principal& p = **principal;
      event.resource = "user/" + p.user_id;
      body = Json{{"active", true},
                  {"scope", scope_of(p)},
                  {"client_id", p.client_id},
                  {"username", p.name},
                  {"token_type", "Bearer"},
                  {"exp", unix_seconds(p.token_expires_at)},
                  {"iat", unix_seconds(p.token_issued_at)},
                  {"sub", p.user_id},
                  {"aud", ctx.jwts != nullptr ? ctx.jwts->audience() : std::string("latchkey")},
                  {"iss", ctx.jwts != nullptr ? ctx.jwts->issuer() : std::string("latchkey")}};
      if (!p.token_id.empty()) body["jti"] = p.token_id;
    }
    http::Response r = json_response(200, body);
    no_store(r);
    r.principal_for_log = caller->user_id;
    return r;
  }();
  if (!result) {
    const OAuthError& e = result.error();
    audit_denied(ex, std::move(event), audit_reason(e));
    return error_response(e);
  }
  audit(ex, std::move(event));
  return std::move(*result);
}

http::Response oauth_revoke(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  AuditEvent event = audit_event(ctx, request, nullptr, "oauth.revoke", "token");
  auto result = [&]() -> std::expected<http::Response, OAuthError> {
    auto form = read_form(request);
    if (!form) return std::unexpected(form.error());
    auto caller = authenticate_caller(ctx, request, *form);
    if (!caller) return std::unexpected(caller.error());
    event.principal_id = caller->user_id;
    event.principal_name = caller->name;
    event.credential = caller->credential;
    const auto token = form->value("token");
    if (!token) return std::unexpected(invalid_request("the parameter token is required"));
    auto principal = active_principal(ctx, *token);
    if (!principal) {
      OAuthError e;
      e.latchkey_error = principal.error();
      return std::unexpected(std::move(e));
    }
    http::Response r;
    r.status = 200;
    no_store(r);
    r.principal_for_log = caller->user_id;
    // RFC 7009 §2.2: unknown, expired or already revoked tokens answer 200.
    if (!*principal) {
      audit(ex, event);
      return r;
    }
    const Principal& p = **principal;
    // A client revokes the tokens of its own user; an admin any token. A
    // token of another user is left alone, and the answer is still 200 (no
    // oracle; docs/oauth.md).
    if (p.user_id != caller->user_id && !caller->admin) {
      event.reason = "not_owner";
      audit(ex, event);
      return r;
    }
    event.resource = "user/" + p.user_id;
    if (auto s = audit_admin_change(ctx, ex, event); !s) {
      OAuthError e;
      e.latchkey_error = s.error();
      return std::unexpected(std::move(e));
    }
    // A seed-003 login token ends with its session (as DELETE
    // /api/v1/keys/{id}/sessions/{sid} does), else the next login would
    // hand the revoked token back.
    const bool login_token = p.key && !p.key->session_id.empty() && ctx.jwts != nullptr;
    Status revoked = login_token ? ctx.jwts->revoke_login_session(p.key->key_id, p.key->session_id)
                     : !p.token_id.empty() && ctx.jwts != nullptr
                         ? ctx.jwts->revoke_token_id(p.token_id, p.user_id, p.token_expires_at)
                         : ctx.account_tokens.revoke(*token);
    if (!revoked) {
      const ErrorCode code = revoked.error().code;
      if (code == ErrorCode::kUnavailable || code == ErrorCode::kInternal) {
        OAuthError e;
        e.latchkey_error = revoked.error();
        return std::unexpected(std::move(e));
      }
      // It ended in between (expired, superseded): nothing left to revoke.
    }
    return r;
  }();
  if (!result) {
    const OAuthError& e = result.error();
    audit_denied(ex, std::move(event), audit_reason(e));
    return error_response(e);
  }
  return std::move(*result);
}

http::Response oauth_metadata(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const std::string base = public_base_url(ctx, request);
  const Json methods = Json::array({"client_secret_basic", "client_secret_post"});
  // RFC 8414 §2: response_types_supported is REQUIRED; this server has no
  // authorization endpoint (client credentials only), so the list is empty.
  // `issuer` is exactly the `iss` of the tokens (RFC 8414 §3.3, RFC 9068 §4).
  const std::string issuer = ctx.jwts != nullptr ? ctx.jwts->issuer() : base;
  return json_response(200, Json{{"issuer", issuer},
                                 {"token_endpoint", base + "/oauth/token"},
                                 {"jwks_uri", base + "/.well-known/jwks.json"},
                                 {"introspection_endpoint", base + "/oauth/introspect"},
                                 {"revocation_endpoint", base + "/oauth/revoke"},
                                 {"grant_types_supported", Json::array({"client_credentials"})},
                                 {"token_endpoint_auth_methods_supported", methods},
                                 {"introspection_endpoint_auth_methods_supported", methods},
                                 {"revocation_endpoint_auth_methods_supported", methods},
                                 {"scopes_supported", Json::array({"read", "write"})},
                                 {"response_types_supported", Json::array()}});
}

}  // namespace latchkey::api
