#include "api/account_handlers.h"

#include "api/audit_hooks.h"
#include "api/credentials.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "core/secret.h"
#include "http/error_response.h"

namespace latchkey::api {

namespace {

// Audit records of this file: the credential is the client id (public) or
// the masked bearer token, never a secret.
AuditEvent account_event(const ApiContext& ctx, const http::Request& request, std::string action,
                         std::string credential) {
  AuditEvent event = audit_event(ctx, request, nullptr, std::move(action), "account");
  event.credential = std::move(credential);
  return event;
}

void audit_denied(const ApiContext& ctx, AuditEvent event, const Error& error) {
  event.decision = AuditDecision::kDeny;
  event.reason = error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
  audit(ctx, std::move(event));
}

}  // namespace

http::Response issue_account_token(const ApiContext& ctx, const http::Request& request) {
  return respond([&]() -> Result<http::Response> {
    auto basic = parse_basic_authorization(request.header("Authorization"));
    if (!basic) {
      audit_denied(ctx, account_event(ctx, request, "account.token.issue", ""), basic.error());
      return fail(basic.error());
    }
    AuditEvent event =
        account_event(ctx, request, "account.token.issue", "client " + basic->client_id);
    auto client = ctx.client_authenticator.authenticate(basic->client_id, basic->client_secret);
    if (!client) {
      audit_denied(ctx, std::move(event), client.error());
      return fail(client.error());
    }
    event.principal_id = client->user.id;
    event.principal_name = client->user.name;
    event.resource = "user/" + client->user.id;
    auto issued = ctx.account_tokens.issue(client->user, client->client_id, origin_of(request));
    if (!issued) {
      audit_denied(ctx, std::move(event), issued.error());
      return fail(issued.error());
    }
    audit(ctx, std::move(event));

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
    if (!token) {
      audit_denied(ctx, account_event(ctx, request, "account.token.revoke", ""), token.error());
      return fail(token.error());
    }
    AuditEvent event =
        account_event(ctx, request, "account.token.revoke", "token " + mask_secret(*token));
    // Who is revoking: revoke() authenticates the token again (from cache).
    if (auto who = ctx.account_tokens.authenticate(*token); who) {
      event.principal_id = (*who)->user_id;
      event.principal_name = (*who)->name;
      event.resource = "user/" + (*who)->user_id;
    }
    if (auto s = ctx.account_tokens.revoke(*token); !s) {
      audit_denied(ctx, std::move(event), s.error());
      return fail(s.error());
    }
    audit(ctx, std::move(event));
    return http::Response::no_content();
  }());
}

http::Response account_me(const ApiContext& ctx, const http::Request& request) {
  return respond([&]() -> Result<http::Response> {
    auto principal = authenticate_bearer(ctx, request);
    if (!principal) {
      auto token = parse_bearer_authorization(request.header("Authorization"));
      audit_denied(ctx,
                   account_event(ctx, request, "account.me",
                                 token ? "token " + mask_secret(*token) : std::string()),
                   principal.error());
      return fail(principal.error());
    }
    const Principal& p = **principal;
    audit(ctx, audit_event(ctx, request, &p, "account.me", "user/" + p.user_id));
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
