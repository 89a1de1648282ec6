#include <string>
#include <utility>

#include "accounts/user_service.h"
#include "http/error_response.h"
#include "pipeline/decision_source.h"
#include "pipeline/refusals.h"
#include "pipeline/requirement.h"
#include "pipeline/stages.h"

namespace latchkey::pipeline {
namespace {

std::string reason_of(const Error& error) {
  return error.reason.empty() ? std::string(http::error_name(error.code)) : error.reason;
}

Error insufficient_scope(std::string description) {
  return Error::forbidden(std::move(description)).with_reason("insufficient_scope");
}

// Everything a route needs of a caller beyond a valid credential: ADMIN
// (before the body is read, so a non-admin learns nothing from its
// validation), the write scope (a read-only key or a "read" OAuth token
// never changes state: DESIGN invariant 4), and the seed-001 decision with
// its one 403 mapping.
class DecideStage final : public Stage {
 public:
  explicit DecideStage(const Services& services) : services_(services) {}

  std::optional<http::Response> on_request(Exchange& ex) const override {
    const Requirement& req = ex.requirement();
    const Principal* p = ex.principal.get();
    if (p == nullptr) {  // a misdeclared route: nothing to decide about
      return refuse(ex, Error::internal("this route decides without a principal"));
    }
    if (req.admin) {
      if (auto s = require_admin(*p); !s) return refuse(ex, s.error());
    }
    if (req.write && !p->may_write()) {
      return refuse(
          ex, insufficient_scope("this token has scope \"read\"; this call needs scope \"write\""));
    }
    if (!req.decision) return std::nullopt;

    auto wanted = req.decision->wanted(ex);
    if (!wanted) {
      for (const auto& [key, value] : wanted.error().details) {
        if (key == "action") ex.audit_action = value;
        if (key == "resource") ex.audit_resource = value;
      }
      return refuse(ex, wanted.error());
    }
    ex.audit_action = wanted->audit_action;
    ex.audit_resource = wanted->audit_resource;
    if (wanted->authenticated_only) {
      if (wanted->needs_write && !p->may_write()) {
        return refuse(ex,
                      insufficient_scope("this token has scope \"read\"; " + ex.request().method +
                                         " on this route needs scope \"write\""));
      }
      ex.decision = TakenDecision{.authenticated_only = true};
      return std::nullopt;
    }
    auto outcome = services_.decider.decide(*p, wanted->request);
    if (!outcome) return refuse(ex, for_audience(req.audience, outcome.error()));
    // Names in the request are accepted and resolved to ids: record the ids.
    ex.audit_resource = wanted->resource_names_steps
                            ? policy::resource_of(outcome->resolved)
                            : "application/" + outcome->resolved.application;
    if (!outcome->decision.allow) {
      return refuse(ex, decision_denied(*p, wanted->request.action, outcome->decision));
    }
    ex.decision =
        TakenDecision{false, std::move(outcome->resolved), std::move(outcome->application_name)};
    return std::nullopt;
  }

 private:
  // For nginx a request that cannot be allowed (unknown application or
  // step, missing steps) is a 403, never a 404 or 400.
  static Error for_audience(Audience audience, Error error) {
    if (audience != Audience::kNginx) return error;
    if (error.code == ErrorCode::kNotFound || error.code == ErrorCode::kInvalidRequest) {
      std::string reason = error.reason.empty() ? "not_found" : error.reason;
      Error denied = Error::forbidden(std::move(error.description)).with_reason(std::move(reason));
      denied.details = std::move(error.details);
      return denied;
    }
    return error;
  }

  static http::Response refuse(Exchange& ex, const Error& error) {
    ex.refusal_reason = reason_of(error);
    http::Response r = refusal(ex.requirement().audience, error);
    if (ex.principal) r.principal_for_log = ex.principal->user_id;
    return r;
  }

  const Services& services_;
};

}  // namespace

std::unique_ptr<Stage> make_decide_stage(const Services& services) {
  return std::make_unique<DecideStage>(services);
}

}  // namespace latchkey::pipeline
