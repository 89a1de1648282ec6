#include "pipeline/exchange.h"

#include <nlohmann/json.hpp>

#include "core/redaction.h"

namespace latchkey::pipeline {

const std::string& Exchange::presented_api_key() {
  if (!api_key_) {
    api_key_.emplace();
    // A body that is not {"api_key": "..."} has no key here; the handler
    // answers its 400 itself.
    auto body = nlohmann::json::parse(request_.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_object()) {
      if (auto it = body.find("api_key"); it != body.end() && it->is_string()) {
        *api_key_ = it->get<std::string>();
      }
    }
  }
  return *api_key_;
}

std::string credential_of(const Principal& principal) {
  if (!principal.credential.empty()) return principal.credential;  // rendered when built
  if (principal.key) return "key " + principal.key->masked_key;
  if (!principal.client_id.empty()) return "client " + principal.client_id;
  return {};
}

void add_request_fields(AuditEvent& event, const http::Request& request) {
  event.client_ip = request.remote_ip;
  // Shown to administrators (audit queries, the dependents report): cut
  // short, without control characters or secret-shaped runs.
  event.user_agent = sanitize_for_display(request.header("User-Agent").value_or(""));
  event.integration = sanitize_for_display(request.header("X-Integration").value_or(""));
}

}  // namespace latchkey::pipeline
