#include "api/account_handlers.h"

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/json_io.h"
#include "api/origin_handlers.h"
#include "api/request_auth.h"
#include "core/secret.h"
#include "http/error_response.h"

namespace latchkey::api {

http::Response issue_account_token(const ApiContext& ctx, pipeline::Exchange& ex) {
  // The authenticate stage proved the Client ID + Secret (401 otherwise).
  const AuthenticatedClient& client = *ex.client;
  ex.audit_resource = "user/" + client.user.id;
  // Issue 14: an expired service account or a secret past the hard maximum.
  if (auto s = check_client_issuance(ctx, client); !s) {
    ex.refusal_reason = s.error().reason;
    return http::error_response(s.error());
  }
  auto issued = ctx.account_tokens.issue(client.user, client.client_id, origin_of(ex.request()),
                                         credential_deadline(ctx, client.secret_created_at));
  if (!issued) {
    ex.refusal_reason = issued.error().reason;
    return http::error_response(issued.error());
  }
  if (issued->interference) report_interference(ctx, ex.request(), *issued->interference);
  // seed 000: exactly this shape.
  http::Response r = json_response(200, Json{{"access_token", issued->access_token},
                                             {"token_type", "bearer"},
                                             {"expires_in", issued->expires_in},
                                             {"scope", "read write"}});
  r.set_header("Cache-Control", "no-store");
  r.set_header("Pragma", "no-cache");
  note_rotation_due(ctx, client.secret_created_at, r);
  r.principal_for_log = client.user.id;
  return r;
}

http::Response revoke_account_token(const ApiContext& ctx, pipeline::Exchange& ex) {
  // The stage verified the token; revoke() ends it (an account token) or
  // says why not (a JWT is revoked at /oauth/revoke).
  auto token = parse_bearer_authorization(ex.request().header("Authorization"));
  if (!token) return http::error_response(token.error());
  // The record names the revoked token (masked), not only its client.
  AuditEvent event = audit_event(ctx, ex.request(), ex.principal.get(), "account.token.revoke",
                                 "user/" + ex.principal->user_id);
  event.credential = "token " + mask_secret(*token);
  if (auto s = ctx.account_tokens.revoke(*token); !s) {
    event.decision = AuditDecision::kDeny;
    event.reason =
        s.error().reason.empty() ? std::string(http::error_name(s.error().code)) : s.error().reason;
    audit(ex, std::move(event));
    return http::error_response(s.error());
  }
  audit(ex, std::move(event));
  return http::Response::no_content();
}

http::Response account_me(const ApiContext& ctx, pipeline::Exchange& ex) {
  const Principal& p = *ex.principal;
  ex.audit_resource = "user/" + p.user_id;
  // Rendered when the principal was cached (tokens/principal_of_user.cc);
  // only "expires_in" moves with the clock.
  std::string body = p.me_json_head;
  // Issue 14: the Client Secret's age, in key order ("name" < "secret" <
  // "token"), for account tokens whose client still holds that secret.
  if (p.secret_created_at && !p.key) {
    if (const auto at = body.find(",\"token\":{"); at != std::string::npos) {
      body.insert(at, ",\"secret\":" + credential_age_json(ctx, *p.secret_created_at).dump());
    }
  }
  body += std::to_string(seconds_until(ctx.clock.now(), p.token_expires_at));
  body += p.me_json_tail;
  http::Response r = http::Response::json(200, std::move(body));
  r.principal_for_log = p.user_id;
  return r;
}

}  // namespace latchkey::api
