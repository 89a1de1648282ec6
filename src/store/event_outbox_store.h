// EventOutboxStore: the durable outbox of events waiting to be delivered to
// the webhook endpoint (docs/webhooks.md). An event is enqueued once its
// cause is committed, then claimed, POSTed and marked delivered, or marked
// failed with the time of its next attempt, until it is delivered or given
// up on ("dead"). Nothing in here is a secret: event data names ids, names
// and times, and last_error is a status code or a transport error class.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable (an enqueued event survives kill -9); every
// method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace latchkey {

enum class OutboxStatus { kPending, kDelivered, kDead };

std::string_view to_string(OutboxStatus status);
std::optional<OutboxStatus> parse_outbox_status(std::string_view text);

struct NewOutboxEvent {
  std::string id;    // "evt_..." (core/ids.h), unique
  std::string type;  // "key.created", ...
  Instant occurred_at;
  std::string data_json;  // the payload's "data" object, as JSON text
  std::string dedup_key;  // empty: never deduplicated
  Instant enqueued_at;    // also the first attempt's due time
};

struct OutboxEvent {
  std::int64_t seq = 0;  // enqueue order, for paging
  std::string id;
  std::string type;
  Instant occurred_at;
  std::string data_json;
  std::string dedup_key;
  OutboxStatus status = OutboxStatus::kPending;
  int attempts = 0;  // POSTs tried so far (since the last requeue)
  Instant enqueued_at;
  Instant next_attempt_at;  // pending: when it is due (or its claim lapses)
  std::optional<Instant> last_attempt_at;
  std::optional<Instant> delivered_at;
  std::string last_error;  // "http 500", "timeout", "connect", ...; empty when none
};

// A delivery attempt that did not succeed.
struct OutboxFailure {
  Instant at;
  std::string error;  // a status code or an error class, never a body
  // Pending again at this time; nullopt: give up (the event becomes dead).
  std::optional<Instant> retry_at;
  // The claim the attempt was made under (see mark_delivered); nullopt:
  // whatever claim the event is under.
  std::optional<Instant> claim;
};

struct OutboxQuery {
  std::optional<OutboxStatus> status;  // nullopt: every status
  std::optional<std::int64_t> before;  // continue with seq < before (newest first)
  int limit = 100;                     // 1..kMaxOutboxPageSize
};

inline constexpr int kMaxOutboxPageSize = 1000;

struct OutboxPage {
  std::vector<OutboxEvent> events;   // newest first
  std::optional<std::int64_t> next;  // pass as `before` for the next page
};

struct OutboxCounts {
  std::int64_t pending = 0;
  std::int64_t delivered = 0;
  std::int64_t dead = 0;
};

class EventOutboxStore {
 public:
  virtual ~EventOutboxStore() = default;

  // Stores the event as pending, due at enqueued_at. When dedup_key is not
  // empty and an event with the same dedup_key is stored, nothing is
  // written and false is returned (a duplicate is dropped, not an error);
  // true when this call stored it. kConflict when the id is taken.
  virtual Result<bool> enqueue(const NewOutboxEvent& event) = 0;

  // Up to `limit` pending events due at `now` (next_attempt_at <= now),
  // oldest due first, each claimed in the same transaction: its
  // next_attempt_at moves to now + lease, so that another deliverer (or
  // this one after a crash) takes it again only once the claim lapses.
  virtual Result<std::vector<OutboxEvent>> claim_due(Instant now, int limit, Duration lease) = 0;

  // The attempt succeeded: status delivered, attempts + 1. Returns false
  // (and changes nothing) when there is no such pending event. With
  // `claim` (the next_attempt_at claim_due returned for the event), only
  // while the event is still under that claim: once it was requeued (an
  // admin's redelivery) or claimed again after the claim lapsed, the
  // attempt's outcome is not recorded (false), so the event is sent again.
  virtual Result<bool> mark_delivered(std::string_view id, Instant at,
                                      std::optional<Instant> claim) = 0;
  Result<bool> mark_delivered(std::string_view id, Instant at) {
    return mark_delivered(id, at, std::nullopt);
  }

  // The attempt failed: attempts + 1, last_error set, pending again at
  // retry_at or dead. Returns false when there is no such pending event, or
  // when failure.claim is set and the event is no longer under that claim
  // (as for mark_delivered).
  virtual Result<bool> mark_failed(std::string_view id, const OutboxFailure& failure) = 0;

  // Pending again, due at `now`, attempts reset to 0 (whatever its status).
  // An attempt in flight under an earlier claim then records nothing
  // (mark_delivered), so the redelivery is never lost to it.
  // kNotFound when there is no such event. Returns the event as stored.
  virtual Result<OutboxEvent> requeue(std::string_view id, Instant now) = 0;

  virtual Result<std::optional<OutboxEvent>> get(std::string_view id) = 0;
  // kInvalidRequest when limit is outside 1..kMaxOutboxPageSize.
  virtual Result<OutboxPage> list(const OutboxQuery& query) = 0;
  virtual Result<OutboxCounts> counts() = 0;
  // The earliest next_attempt_at of a pending event (the deliverer sleeps
  // until then), or nullopt when none is pending.
  virtual Result<std::optional<Instant>> next_due() = 0;

  // Deletes delivered and dead events that finished (delivered, or last
  // attempted) before `before`. Their dedup keys are forgotten with them.
  // Returns how many.
  virtual Result<std::int64_t> prune(Instant before) = 0;
};

}  // namespace latchkey
