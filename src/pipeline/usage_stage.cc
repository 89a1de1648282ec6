#include <string>
#include <string_view>

#include "core/clock.h"
#include "pipeline/requirement.h"
#include "pipeline/stages.h"
#include "usage/usage_counter.h"

namespace latchkey::pipeline {
namespace {

// The reason a refusal is counted under when no stage named one: the
// status's error name (a handler's refusal, e.g. 401 for a deactivated key).
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
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 429:
      return "too_many_requests";
    default:
      return "denied";
  }
}

// Reasons come from latchkey's own code, never from the client, but a label
// value must stay bounded whatever a future reason looks like.
bool is_label_safe(std::string_view reason) {
  if (reason.empty() || reason.size() > 48) return false;
  for (char c : reason) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Usage per API key (docs/key-usage.md): on the way out, one count for the
// key the exchange is attributable to (a key-derived principal, or the key
// an exchange presented), by route and status class, whichever stage or
// handler answered. The first stage of the chain, so the last on the way
// out: it counts the status actually sent.
class UsageStage final : public Stage {
 public:
  UsageStage(const Services& services, usage::UsageCounter& counter)
      : services_(services), counter_(counter) {}

  std::optional<http::Response> on_request(Exchange&) const override { return std::nullopt; }

  void on_response(Exchange& ex, http::Response& response) const override {
    std::string_view key_id = ex.usage_key_id;
    if (ex.principal && ex.principal->key) key_id = ex.principal->key->key_id;
    if (key_id.empty()) return;
    std::string_view reason;
    // A refusal by latchkey, not an upstream's own 4xx (the gateway passed
    // the request on), nor a failure (5xx).
    if (response.status >= 400 && response.status < 500 && !ex.passed_on) {
      reason = ex.refusal_reason.empty() ? status_reason(response.status)
                                         : std::string_view(ex.refusal_reason);
      if (!is_label_safe(reason)) reason = "other";
    }
    const std::string& route = ex.requirement().route_label;
    counter_.record(key_id, route.empty() ? std::string_view("unlabelled") : route, response.status,
                    reason, services_.clock.now());
  }

 private:
  const Services& services_;
  usage::UsageCounter& counter_;
};

}  // namespace

std::unique_ptr<Stage> make_usage_stage(const Services& services) {
  if (services.usage == nullptr) return nullptr;
  return std::make_unique<UsageStage>(services, *services.usage);
}

}  // namespace latchkey::pipeline
