// OutboxEventSink: the server's EventSink when webhooks are configured. An
// event is written to the durable outbox (store/event_outbox_store.h) and
// publish() returns once it is committed; the WebhookDeliverer sends it
// later. Types the configuration does not subscribe to are not enqueued.
//
// Thread-safety: publish may be called from any thread.
#pragma once

#include <functional>
#include <set>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "events/event_sink.h"
#include "store/event_outbox_store.h"

namespace latchkey::events {

struct OutboxSinkOptions {
  std::set<EventType> types;  // empty: every type (webhook.test always passes)
  // After a commit: e.g. wake the deliverer so that it sends at once.
  std::function<void()> on_enqueued;
  // Where a failed enqueue is reported (the event's type and the store's
  // error; never the event's data).
  std::function<void(std::string_view)> warn;
};

class OutboxEventSink final : public EventSink {
 public:
  OutboxEventSink(EventOutboxStore& outbox, const Clock& clock, Random& random,
                  OutboxSinkOptions options = {});

  // Enqueues with a new "evt_…" id, due now. A duplicate dedup_key is
  // dropped (success). kUnavailable (or the store's error) when the outbox
  // cannot be written, reported through warn as well.
  Status publish(const Event& event) override;
  // Runs on_enqueued (wakes the deliverer).
  void outbox_changed() override;
  // True: the outbox is the store's (main.cc builds it over Store::outbox()).
  bool writes_outbox() const override { return true; }
  // Also what publish() enqueues; nullopt for a type not subscribed to.
  std::optional<NewOutboxEvent> outbox_row(const Event& event) override;

 private:
  EventOutboxStore& outbox_;
  const Clock& clock_;
  Random& random_;
  OutboxSinkOptions options_;
};

}  // namespace latchkey::events
