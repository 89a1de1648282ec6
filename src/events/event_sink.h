// EventSink: where code that notices something publishes the event. The
// server's sink is the durable webhook outbox (events/outbox_event_sink.h;
// it also logs a failed enqueue, without the event's data); a server
// without webhooks configured uses NullEventSink; tests use a recording one.
//
// Thread-safety: publish may be called from any thread.
#pragma once

#include <optional>

#include "core/error.h"
#include "events/event.h"
#include "store/event_outbox_store.h"

namespace latchkey::events {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Enqueues the event and returns once it would survive kill -9; delivery
  // happens later, elsewhere. kUnavailable when the outbox cannot be written.
  // Callers publish after their own change is committed and never fail the
  // user's request because an event could not be enqueued (they log it).
  virtual Status publish(const Event& event) = 0;
  // An event already in the outbox became due outside publish (an admin's
  // redelivery, or rows enqueued by a store transaction): the sink's
  // deliverer, if any, looks at the outbox at once.
  virtual void outbox_changed() {}

  // For a change that enqueues its events in its own store transaction
  // (Store::disable_expired_service_account), so that no crash between the
  // commit and publish() can lose them. True when this sink's events go to
  // the store's durable outbox (webhooks are configured); false: the
  // caller publishes after its commit instead.
  virtual bool writes_outbox() const { return false; }
  // The outbox row publish() would enqueue for `event` (a new id, due now),
  // or nullopt when this sink records no such event (not subscribed).
  virtual std::optional<NewOutboxEvent> outbox_row(const Event&) { return std::nullopt; }
};

class NullEventSink final : public EventSink {
 public:
  Status publish(const Event&) override { return {}; }
};

}  // namespace latchkey::events
