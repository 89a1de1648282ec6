#include "api/authorize_handlers.h"

#include <string>
#include <utility>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/rate_limit.h"
#include "api/request_auth.h"
#include "authz/permission_service.h"
#include "http/error_response.h"
#include "policy/decision.h"

namespace latchkey::api {
namespace {

Result<policy::DecisionRequest> parse_decision_request(const http::Request& request) {
  auto body = parse_object_body(request);
  if (!body) return fail(body.error());
  if (auto s = reject_unknown_fields(*body, {"action", "application", "steps", "admin_data"}); !s) {
    return fail(s.error());
  }
  policy::DecisionRequest out;
  auto action = optional_string(*body, "action");
  if (!action) return fail(action.error());
  if (!*action) return fail(Error::invalid_request("field \"action\" is required"));
  auto parsed = policy::parse_action(**action);
  if (!parsed) {
    std::string known;
    for (policy::Action a : policy::all_actions()) {
      if (!known.empty()) known += ", ";
      known += policy::to_string(a);
    }
    return fail(Error::invalid_request("unknown action \"" + **action + "\"; one of: " + known)
                    .with_reason("unknown_action"));
  }
  out.action = *parsed;
  auto application = optional_string(*body, "application");
  if (!application) return fail(application.error());
  if (!*application || (*application)->empty()) {
    return fail(Error::invalid_request("field \"application\" is required"));
  }
  out.application = std::move(**application);
  if (auto steps = body->find("steps"); steps != body->end() && !steps->is_null()) {
    if (!steps->is_array()) {
      return fail(Error::invalid_request("field \"steps\" must be an array of step ids"));
    }
    for (const Json& step : *steps) {
      if (!step.is_string() || step.get<std::string>().empty()) {
        return fail(Error::invalid_request("field \"steps\" must be an array of step ids"));
      }
      out.steps.push_back(step.get<std::string>());
    }
  }
  auto admin_data = optional_bool(*body, "admin_data");
  if (!admin_data) return fail(admin_data.error());
  out.admin_data = admin_data->value_or(false);
  return out;
}

}  // namespace

http::Response authorize(const ApiContext& ctx, const http::Request& request) {
  auto principal = authenticate_bearer(ctx, request);
  if (!principal) return respond(fail(principal.error()));
  const Principal& p = **principal;
  auto parsed = parse_decision_request(request);
  const std::string action_name =
      parsed ? "authorize." + std::string(policy::to_string(parsed->action)) : "authorize";
  AuditEvent event = audit_event(ctx, request, &p, action_name,
                                 parsed ? "application/" + parsed->application : "");
  auto finish = [&](Result<http::Response> result) {
    if (!result) {
      event.decision = AuditDecision::kDeny;
      event.reason = result.error().reason.empty()
                         ? std::string(http::error_name(result.error().code))
                         : result.error().reason;
    }
    audit(ctx, std::move(event));
    http::Response r = respond(std::move(result));
    r.principal_for_log = p.user_id;
    return r;
  };
  if (!parsed) return finish(fail(parsed.error()));

  auto outcome = ctx.permissions->decide(p, *parsed);
  if (!outcome) return finish(fail(outcome.error()));
  const policy::Decision& d = outcome->decision;
  const policy::DecisionRequest& resolved = outcome->resolved;
  event.resource = "application/" + resolved.application;
  Json steps = resolved.steps;
  if (d.allow) {
    event.decision = AuditDecision::kAllow;
    return finish(json_response(200, Json{{"decision", "allow"},
                                          {"action", policy::to_string(parsed->action)},
                                          {"application", resolved.application},
                                          {"application_name", outcome->application_name},
                                          {"steps", std::move(steps)},
                                          {"user_id", p.user_id}}));
  }
  Error denied = Error::forbidden(d.description);
  denied.with_reason(d.reason)
      .with_detail("decision", "deny")
      .with_detail("action", std::string(policy::to_string(parsed->action)))
      .with_detail("user_id", p.user_id);
  if (!d.module.empty()) denied.with_detail("module", d.module);
  if (!d.application.empty()) denied.with_detail("application", d.application);
  if (!d.step.empty()) denied.with_detail("step", d.step);
  if (!d.required.empty()) denied.with_detail("required", d.required);
  return finish(fail(std::move(denied)));
}

void add_authorize_routes(http::Router& r, const ApiContext& ctx) {
  if (ctx.permissions == nullptr) return;
  // Inline: on a cache hit (token and effective permissions) nothing here
  // touches the store; a miss is a few indexed reads, like /api/v1/account/me.
  // Key-derived tokens count against their key (docs/rate-limits.md).
  r.add("POST", "/v1/authorize", http::Dispatch::kInline,
        limit_key_requests(ctx, [&ctx](const http::Request& req, const http::PathParams&) {
          return authorize(ctx, req);
        }));
}

}  // namespace latchkey::api
