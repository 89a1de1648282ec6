#include "events/outbox_event_sink.h"

#include <string>

#include "core/ids.h"
#include "events/webhook_payload.h"

namespace latchkey::events {

OutboxEventSink::OutboxEventSink(EventOutboxStore& outbox, const Clock& clock, Random& random,
                                 OutboxSinkOptions options)
    : outbox_(outbox), clock_(clock), random_(random), options_(std::move(options)) {}

std::optional<NewOutboxEvent> OutboxEventSink::outbox_row(const Event& event) {
  if (!options_.types.empty() && !options_.types.contains(event.type) &&
      event.type != EventType::kWebhookTest) {
    return std::nullopt;
  }
  NewOutboxEvent row;
  row.id = new_id("evt_", random_);
  row.type = std::string(to_string(event.type));
  row.occurred_at = event.occurred_at;
  row.data_json = data_json(event);
  row.dedup_key = event.dedup_key;
  row.enqueued_at = clock_.now();
  return row;
}

Status OutboxEventSink::publish(const Event& event) {
  auto built = outbox_row(event);
  if (!built) return {};  // not subscribed
  const NewOutboxEvent& row = *built;
  auto stored = outbox_.enqueue(row);
  if (!stored) {
    if (options_.warn) {
      options_.warn("webhooks: event " + row.type +
                    " was not enqueued: " + stored.error().description);
    }
    return fail(stored.error());
  }
  if (*stored && options_.on_enqueued) options_.on_enqueued();
  return {};
}

void OutboxEventSink::outbox_changed() {
  if (options_.on_enqueued) options_.on_enqueued();
}

}  // namespace latchkey::events
