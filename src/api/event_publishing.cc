#include "api/event_publishing.h"

#include "events/event_sink.h"

namespace latchkey::api {

void publish_event(const ApiContext& ctx, const events::Event& event) {
  if (ctx.events == nullptr) return;
  (void)ctx.events->publish(event);  // logged by the sink; the change stands
}

events::Event key_event(events::EventType type, const ApiKey& key, Instant at) {
  events::Event event;
  event.type = type;
  event.occurred_at = at;
  event.data = {{"key_id", key.id},
                {"user_id", key.user_id},
                {"name", key.name},
                {"expires_at", format_rfc3339(key.expires_at)}};
  // Both happen once per key: a repeated publish (an idempotent
  // deactivation, a retried request) is dropped.
  event.dedup_key = std::string(events::to_string(type)) + ":" + key.id;
  return event;
}

}  // namespace latchkey::api
