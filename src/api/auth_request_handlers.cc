#include "api/auth_request_handlers.h"

#include <string>
#include <utility>

#include "api/audit_hooks.h"
#include "api/credentials.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "authz/permission_service.h"
#include "core/secret.h"
#include "http/error_response.h"

namespace latchkey::api {
namespace {

std::string credential_header(const Principal& principal) {
  if (principal.key) return "key " + principal.key->masked_key;
  return "client " + principal.client_id;
}

Error denied(std::string_view reason, std::string description) {
  return Error::forbidden(std::move(description)).with_reason(std::string(reason));
}

}  // namespace

http::Response auth_request(const ApiContext& ctx, const http::Request& request) {
  static const RouteRules kNoRules;
  const RouteRules& rules = ctx.route_rules != nullptr ? *ctx.route_rules : kNoRules;
  const std::string method(request.header("X-Original-Method").value_or(""));
  const std::string uri(request.header("X-Original-URI").value_or(""));
  const std::string route = method + " " + uri.substr(0, uri.find('?'));

  auto principal = authenticate_bearer(ctx, request);
  if (!principal) {
    AuditEvent event = audit_event(ctx, request, nullptr, "authorize.authenticate", route);
    if (auto token = parse_bearer_authorization(request.header("Authorization")); token) {
      event.credential = "token " + mask_secret(*token);
    }
    event.decision = AuditDecision::kDeny;
    event.reason = principal.error().reason.empty()
                       ? std::string(http::error_name(principal.error().code))
                       : principal.error().reason;
    audit(ctx, std::move(event));
    return respond(fail(principal.error()));
  }
  const Principal& p = **principal;

  auto decided = [&]() -> Result<std::pair<std::string, std::string>> {  // action, resource
    if (method.empty() || uri.empty()) {
      return fail(Error::invalid_request(
          "X-Original-Method and X-Original-URI are required (set them in the nginx "
          "configuration, see docs/nginx.md)"));
    }
    const auto match = rules.match(method, uri);
    if (!match) {
      return fail(denied("no_route_rule", "no route rule allows " + route));
    }
    if (match->authenticated_only) return std::pair{std::string("authorize.authenticated"), route};
    const std::string action = "authorize." + std::string(policy::to_string(match->request.action));
    const std::string resource = policy::resource_of(match->request);
    if (ctx.permissions == nullptr) {  // fail closed, as a 403 that nginx passes on
      return fail(denied("permissions_unavailable", "this server has no permission service")
                      .with_detail("action", action)
                      .with_detail("resource", resource));
    }
    auto outcome = ctx.permissions->decide(p, match->request);
    if (!outcome) {
      // unknown_application, unknown_step, steps_required: for nginx a
      // request that cannot be allowed is a 403, never a 404 or 400.
      if (outcome.error().code == ErrorCode::kNotFound ||
          outcome.error().code == ErrorCode::kInvalidRequest) {
        const std::string reason =
            outcome.error().reason.empty() ? "not_found" : outcome.error().reason;
        return fail(denied(reason, outcome.error().description)
                        .with_detail("action", action)
                        .with_detail("resource", resource));
      }
      return fail(outcome.error());
    }
    // Names in the path are accepted and resolved to ids: record the ids.
    const std::string resolved = policy::resource_of(outcome->resolved);
    if (!outcome->decision.allow) {
      return fail(denied(outcome->decision.reason, outcome->decision.description)
                      .with_detail("action", action)
                      .with_detail("resource", resolved));
    }
    return std::pair{action, resolved};
  }();

  if (!decided) {
    const Error& error = decided.error();
    std::string action = "authorize.no_route_rule";
    std::string resource = route;
    for (const auto& [key, value] : error.details) {
      if (key == "action") action = value;
      if (key == "resource") resource = value;
    }
    AuditEvent event = audit_event(ctx, request, &p, action, resource);
    event.decision = AuditDecision::kDeny;
    event.reason = error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
    audit(ctx, std::move(event));
    http::Response r = respond(fail(error));
    if (!error.reason.empty()) r.set_header("X-Latchkey-Reason", error.reason);
    r.principal_for_log = p.user_id;
    return r;
  }

  audit(ctx, audit_event(ctx, request, &p, decided->first, decided->second));
  http::Response r;
  r.status = 200;
  r.set_header("X-Latchkey-User-Id", p.user_id);
  r.set_header("X-Latchkey-User-Name", p.name);
  r.set_header("X-Latchkey-User-Type", std::string(to_string(p.type)));
  r.set_header("X-Latchkey-Credential", credential_header(p));
  r.set_header("Cache-Control", "no-store");
  r.principal_for_log = p.user_id;
  return r;
}

}  // namespace latchkey::api
