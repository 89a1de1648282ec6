// The answers of the pipeline's stages when they refuse a request, in one
// place: 429s of the limits and the throttle, the 403 of a denied seed-001
// decision, and their nginx auth_request form (only 2xx, 401 and 403 reach
// nginx intact: anything else becomes a 500 there).
#pragma once

#include <chrono>
#include <string>

#include "accounts/principal.h"
#include "core/error.h"
#include "http/message.h"
#include "limits/rate_limiter.h"
#include "pipeline/requirement.h"
#include "policy/decision.h"

namespace latchkey::pipeline {

// RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF
// draft-ietf-httpapi-ratelimit-headers, integer seconds).
void add_rate_limit_headers(http::Response& response, const limits::RateLimitState& state);

// 429 {"error":"rate_limited",...} with Retry-After and RateLimit-*.
http::Response too_many_requests(const limits::RateLimitState& state);
// 429 {"error":"concurrency_limited",...}, Retry-After: 1.
http::Response too_many_concurrent(int limit);
// 503 {"error":"limits_unavailable",...}, Retry-After: 1: a key's limits
// could not be decided because their backend (Redis) is unreachable.
http::Response limits_unavailable();
// 429 {"error":"too_many_attempts",...} with Retry-After (at least 1 s).
http::Response too_many_attempts(std::chrono::seconds retry_after);

// The 403 of a denied decision: reason, and the missing piece as details
// (decision, action, user_id, module, application, step, required).
Error decision_denied(const Principal& principal, policy::Action action,
                      const policy::Decision& decision);

// The response for `error` as `audience` hears it: for nginx a 429 becomes
// a 403 carrying X-Latchkey-Reason (the error's name) and Retry-After, and
// every 403 carries X-Latchkey-Reason.
http::Response refusal(Audience audience, const Error& error);
// The same for a 429 already built (limits, throttle); `reason` names the
// limit ("rate_limited", "concurrency_limited", "too_many_attempts").
http::Response refusal(Audience audience, http::Response too_many, std::string_view reason);

}  // namespace latchkey::pipeline
