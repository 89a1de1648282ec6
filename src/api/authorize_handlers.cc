#include "api/authorize_handlers.h"

#include <string>
#include <utility>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "authz/permission_service.h"
#include "http/error_response.h"
#include "pipeline/decision_source.h"
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
    // Name the field, never the value (it may be a misplaced secret).
    return fail(Error::invalid_request("field \"action\" is not a known action; one of: " + known)
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

// The decision POST /v1/authorize asks for: its body.
class AuthorizeBody final : public pipeline::DecisionSource {
 public:
  Result<pipeline::WantedDecision> wanted(const pipeline::Exchange& ex) const override {
    auto parsed = parse_decision_request(ex.request());
    if (!parsed) {
      Error error = parsed.error();
      return fail(std::move(error.with_detail("action", "authorize")));
    }
    pipeline::WantedDecision out;
    out.audit_action = "authorize." + std::string(policy::to_string(parsed->action));
    out.audit_resource = "application/" + parsed->application;
    out.resource_names_steps = false;
    out.request = std::move(*parsed);
    return out;
  }
};

}  // namespace

std::shared_ptr<const pipeline::DecisionSource> authorize_decision_source() {
  return std::make_shared<AuthorizeBody>();
}

http::Response authorize(const ApiContext&, pipeline::Exchange& ex) {
  // The decide stage allowed it (a deny never reaches here).
  const pipeline::TakenDecision& taken = *ex.decision;
  const policy::DecisionRequest& resolved = taken.resolved;
  http::Response r = json_response(200, Json{{"decision", "allow"},
                                             {"action", policy::to_string(resolved.action)},
                                             {"application", resolved.application},
                                             {"application_name", taken.application_name},
                                             {"steps", resolved.steps},
                                             {"user_id", ex.principal->user_id}});
  r.principal_for_log = ex.principal->user_id;
  return r;
}

}  // namespace latchkey::api
