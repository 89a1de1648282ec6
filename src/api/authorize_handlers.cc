#include "api/authorize_handlers.h"

#include <string>
#include <utility>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "authz/permission_service.h"
#include "http/error_response.h"
#include "pipeline/decision_source.h"
#include "pipeline/refusals.h"
#include "pipeline/services.h"
#include "policy/decision.h"
#include "tokens/principal_of_user.h"

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

// The body of POST /v1/authorize's 200.
Json allowed_body(const pipeline::TakenDecision& taken, const std::string& user_id) {
  const policy::DecisionRequest& resolved = taken.resolved;
  return Json{{"decision", "allow"},
              {"action", policy::to_string(resolved.action)},
              {"application", resolved.application},
              {"application_name", taken.application_name},
              {"steps", resolved.steps},
              {"user_id", user_id}};
}

// The answer of a what-if: what POST /v1/authorize would answer, its body
// plus "status", its HTTP status.
http::Response what_if_answer(int status, Json body, const std::string& actor_id) {
  body["status"] = status;
  http::Response r = json_response(200, body);
  r.principal_for_log = actor_id;
  return r;
}

http::Response what_if_refusal(const Error& error, const std::string& actor_id) {
  const http::Response refused = http::error_response(error);
  return what_if_answer(refused.status, Json::parse(refused.body), actor_id);
}

}  // namespace

std::shared_ptr<const pipeline::DecisionSource> authorize_decision_source() {
  return std::make_shared<AuthorizeBody>();
}

http::Response authorize(const ApiContext&, pipeline::Exchange& ex) {
  // The decide stage allowed it (a deny never reaches here).
  http::Response r = json_response(200, allowed_body(*ex.decision, ex.principal->user_id));
  r.principal_for_log = ex.principal->user_id;
  return r;
}

http::Response what_if_authorize(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);  // ADMIN: checked by the decide stage
    if (!actor) return fail(actor.error());
    const std::string actor_id = (*actor)->user_id;
    ex.audit_resource = "user/" + std::string(ex.params().get("id"));
    auto user = ctx.users.get(**actor, ex.params().get("id"));
    if (!user) return fail(user.error());
    auto wanted = parse_decision_request(request);
    if (!wanted) return fail(wanted.error());
    ex.audit_resource = "user/" + user->id + "/application/" + wanted->application;

    // What authenticating an account token of the user would say
    // (tokens/account_token_service.cc): a disabled user has no token left,
    // one without API access is refused every call.
    if (user->disabled) {
      return what_if_refusal(
          Error::invalid_token("user_disabled",
                               "the user is disabled: their tokens were deleted and no new "
                               "token is issued, so POST /v1/authorize answers 401"),
          actor_id);
    }
    if (!user->api_access) {
      return what_if_refusal(Error::invalid_token("api_access_disabled",
                                                  "API access is not enabled for the user of "
                                                  "this token"),
                             actor_id);
    }
    // The principal an account token of the user stands for, decided by the
    // decide stage's own decider.
    const Instant now = ctx.clock.now();
    const auto principal = principal_of_user(*user, "", now, now + std::chrono::hours(1));
    pipeline::PermissionDecider decider(ctx.permissions);
    auto outcome = decider.decide(*principal, *wanted);
    if (!outcome) return fail(outcome.error());  // unknown application or step, bad steps
    if (!outcome->decision.allow) {
      return what_if_refusal(
          pipeline::decision_denied(*principal, wanted->action, outcome->decision), actor_id);
    }
    const pipeline::TakenDecision taken{false, std::move(outcome->resolved),
                                        std::move(outcome->application_name)};
    return what_if_answer(200, allowed_body(taken, user->id), actor_id);
  }());
}

}  // namespace latchkey::api
