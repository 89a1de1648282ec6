#include "api/rotation.h"

#include <spdlog/spdlog.h>

#include <string>

#include "accounts/user_service.h"
#include "api/json_io.h"
#include "events/event_sink.h"

namespace latchkey::api {

Result<Duration> previous_valid_for(const http::Request& request) {
  // seed 000's reset sends no body: exactly today's behaviour.
  auto body = parse_object_body(request, /*allow_empty=*/true);
  if (!body) {
    return fail(Error::invalid_request(
        body.error().description +
        ": send no body, or {\"previous_valid_for_seconds\": N} with N from 0 to " +
        std::to_string(kMaxPreviousValidForSeconds)));
  }
  if (auto s = reject_unknown_fields(*body, {"previous_valid_for_seconds"}); !s) {
    return fail(s.error());
  }
  const std::string range = "field \"previous_valid_for_seconds\" must be an integer from 0 to " +
                            std::to_string(kMaxPreviousValidForSeconds) + " (7 days)";
  auto seconds = optional_int(*body, "previous_valid_for_seconds");
  if (!seconds) return fail(Error::invalid_request(range));
  const std::int64_t n = seconds->value_or(0);
  // A huge unsigned number reads as a negative one: refused as well.
  if (n < 0 || n > kMaxPreviousValidForSeconds) return fail(Error::invalid_request(range));
  return std::chrono::duration_cast<Duration>(std::chrono::seconds(n));
}

void publish(const ApiContext& ctx, const events::Event& event) {
  if (ctx.events == nullptr) return;
  if (auto s = ctx.events->publish(event); !s) {
    // Events carry ids and times only, never a secret.
    spdlog::warn("event {} could not be enqueued: {}", events::to_string(event.type),
                 s.error().description);
  }
}

}  // namespace latchkey::api
