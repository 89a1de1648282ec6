#include <string>
#include <utility>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "pipeline/requirement.h"
#include "pipeline/stages.h"

namespace latchkey::pipeline {
namespace {

// The machine-readable name of a refusal the audit note did not name.
std::string_view status_reason(int status) {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "invalid_token";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "too_many_requests";
    case 502:
      return "bad_gateway";
    case 503:
      return "unavailable";
    case 504:
      return "gateway_timeout";
    default:
      return status >= 500 ? "internal_error" : "denied";
  }
}

class AuditStage final : public Stage {
 public:
  explicit AuditStage(const Services& services) : services_(services) {}

  std::optional<http::Response> on_request(Exchange&) const override { return std::nullopt; }

  void on_response(Exchange& ex, http::Response& response) const override {
    if (auto& noted = ex.noted()) {
      services_.audit.record(std::move(*noted));
      noted.reset();
      return;
    }
    if (ex.recorded_durably()) return;  // the write-ahead record stands for it
    const Requirement& req = ex.requirement();
    const std::string& action = ex.audit_action.empty() ? req.audit_action : ex.audit_action;
    if (action.empty()) return;
    AuditEvent event;
    event.at = services_.clock.now();
    if (ex.principal) {
      event.principal_id = ex.principal->user_id;
      event.principal_name = ex.principal->name;
      event.credential = credential_of(*ex.principal);
    } else if (ex.client) {
      event.principal_id = ex.client->user.id;
      event.principal_name = ex.client->user.name;
      event.credential = ex.audit_credential;
    } else {
      event.credential = ex.audit_credential;
    }
    event.action = action;
    event.resource = ex.audit_resource.empty() ? req.audit_resource : ex.audit_resource;
    if (response.status >= 400 && !ex.passed_on) {
      event.decision = AuditDecision::kDeny;
      event.reason = ex.refusal_reason.empty() ? std::string(status_reason(response.status))
                                               : ex.refusal_reason;
    }
    add_request_fields(event, ex.request());
    services_.audit.record(std::move(event));
  }

 private:
  const Services& services_;
};

}  // namespace

std::unique_ptr<Stage> make_audit_stage(const Services& services) {
  return std::make_unique<AuditStage>(services);
}

}  // namespace latchkey::pipeline
