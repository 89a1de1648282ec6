#include "pipeline/refusals.h"

#include <algorithm>
#include <string>
#include <utility>

#include "http/error_response.h"

namespace latchkey::pipeline {
namespace {

constexpr std::string_view kReasonHeader = "X-Latchkey-Reason";

// A 429 whose "error" names the limit: error_response() lets a detail
// override the generic "too_many_requests".
http::Response limit_refusal(std::string_view error, std::string description,
                             std::chrono::seconds retry_after) {
  http::Response r =
      http::error_response(Error{ErrorCode::kTooManyRequests, std::move(description)}.with_detail(
          "error", std::string(error)));
  r.set_header("Retry-After", std::to_string(std::max<std::int64_t>(retry_after.count(), 1)));
  return r;
}

}  // namespace

void add_rate_limit_headers(http::Response& response, const limits::RateLimitState& state) {
  response.set_header("RateLimit-Limit", std::to_string(state.limit));
  response.set_header("RateLimit-Remaining", std::to_string(state.remaining));
  response.set_header("RateLimit-Reset", std::to_string(state.reset.count()));
}

http::Response too_many_requests(const limits::RateLimitState& state) {
  http::Response r = limit_refusal("rate_limited",
                                   "rate limit exceeded: at most " + std::to_string(state.limit) +
                                       " requests per minute for this API key",
                                   state.retry_after);
  add_rate_limit_headers(r, state);
  return r;
}

http::Response too_many_concurrent(int limit) {
  return limit_refusal("concurrency_limited",
                       "concurrency limit exceeded: at most " + std::to_string(limit) +
                           " requests in flight per API key on this route",
                       std::chrono::seconds(1));
}

http::Response limits_unavailable() {
  http::Response r = http::error_response(
      Error{ErrorCode::kUnavailable,
            "rate and concurrency limits are unavailable (their shared store is unreachable); "
            "retry shortly"}
          .with_detail("error", "limits_unavailable"));
  r.set_header("Retry-After", "1");
  return r;
}

http::Response too_many_attempts(std::chrono::seconds retry_after) {
  return limit_refusal("too_many_attempts",
                       "too many failed authentication attempts; retry after " +
                           std::to_string(std::max<std::int64_t>(retry_after.count(), 1)) + " s",
                       retry_after);
}

Error decision_denied(const Principal& principal, policy::Action action,
                      const policy::Decision& decision) {
  Error denied = Error::forbidden(decision.description);
  denied.with_reason(decision.reason)
      .with_detail("decision", "deny")
      .with_detail("action", std::string(policy::to_string(action)))
      .with_detail("user_id", principal.user_id);
  if (!decision.module.empty()) denied.with_detail("module", decision.module);
  if (!decision.application.empty()) denied.with_detail("application", decision.application);
  if (!decision.step.empty()) denied.with_detail("step", decision.step);
  if (!decision.required.empty()) denied.with_detail("required", decision.required);
  return denied;
}

http::Response refusal(Audience audience, const Error& error) {
  http::Response r = http::error_response(error);
  if (r.status == 403 && !error.reason.empty()) {
    r.set_header(std::string(kReasonHeader), error.reason);
  }
  if (audience == Audience::kNginx && r.status == 429) {
    return refusal(audience, std::move(r), error.reason.empty() ? "rate_limited" : error.reason);
  }
  return r;
}

http::Response refusal(Audience audience, http::Response too_many, std::string_view reason) {
  if (audience != Audience::kNginx || too_many.status != 429) return too_many;
  // nginx turns any auth_request status but 2xx, 401 and 403 into a 500:
  // a limit's refusal is a 403 that says which limit, and when to retry.
  http::Response r = http::error_response(
      Error::forbidden("refused by a limit (" + std::string(reason) + "); see Retry-After")
          .with_reason(std::string(reason)));
  for (const http::Header& h : too_many.headers) {
    if (h.name == "Retry-After" || h.name.starts_with("RateLimit-")) r.set_header(h.name, h.value);
  }
  r.set_header(std::string(kReasonHeader), std::string(reason));
  return r;
}

}  // namespace latchkey::pipeline
