#include "store/postgres/pg_event_outbox_store.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>

#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_outbox_rows.h"
#include "store/postgres/pg_text.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

#define LATCHKEY_PG_OUTBOX_COLUMNS                                                       \
  "e.seq, e.id, e.type, e.occurred_at, e.data_json, e.dedup_key, e.status, e.attempts, " \
  "e.enqueued_at, e.next_attempt_at, e.last_attempt_at, e.delivered_at, e.last_error"

constexpr std::string_view kSelectById =
    "SELECT " LATCHKEY_PG_OUTBOX_COLUMNS " FROM event_outbox e WHERE e.id = $1";
constexpr std::string_view kList =
    "SELECT " LATCHKEY_PG_OUTBOX_COLUMNS
    " FROM event_outbox e "
    "WHERE ($1::text = '' OR e.status = $1::text) AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3";
// Locks up to $2 due rows that no other transaction holds (SKIP LOCKED) and
// moves them to the lease's end in the same statement. due_at (column 13)
// keeps each event's place in the claim order, which the new
// next_attempt_at no longer tells.
constexpr std::string_view kClaim =
    "WITH due AS (SELECT seq, next_attempt_at AS due_at FROM event_outbox "
    "WHERE status = 'pending' AND next_attempt_at <= $1 "
    "ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE event_outbox e SET next_attempt_at = $3 FROM due WHERE e.seq = due.seq "
    "RETURNING " LATCHKEY_PG_OUTBOX_COLUMNS ", due.due_at";
// A claim is told by the next_attempt_at it set: a requeue or a later claim
// moves it. $3 NULL: whatever claim.
constexpr std::string_view kMarkDelivered =
    "UPDATE event_outbox SET status = 'delivered', attempts = attempts + 1, "
    "last_attempt_at = $2, delivered_at = $2, last_error = '' "
    "WHERE id = $1 AND status = 'pending' AND ($3::bigint IS NULL OR next_attempt_at = $3)";
constexpr std::string_view kMarkFailed =
    "UPDATE event_outbox SET status = $2, attempts = attempts + 1, last_attempt_at = $3, "
    "next_attempt_at = $4, last_error = $5 "
    "WHERE id = $1 AND status = 'pending' AND ($6::bigint IS NULL OR next_attempt_at = $6)";
constexpr std::string_view kRequeue =
    "UPDATE event_outbox e SET status = 'pending', attempts = 0, next_attempt_at = $2, "
    "delivered_at = 0 WHERE e.id = $1 RETURNING " LATCHKEY_PG_OUTBOX_COLUMNS;

#undef LATCHKEY_PG_OUTBOX_COLUMNS

// Times 0 = never (pg_schema_core.cc, as in SQLite).
std::optional<Instant> optional_time(const Rows& rows, int r, int column) {
  const std::int64_t ms = int_at(rows, r, column);
  if (ms == 0) return std::nullopt;
  return from_unix_millis(ms);
}

Result<OutboxEvent> event_at(const Rows& rows, int r) {
  OutboxEvent event;
  event.seq = int_at(rows, r, 0);
  event.id = text_at(rows, r, 1);
  event.type = text_at(rows, r, 2);
  event.occurred_at = instant_at(rows, r, 3);
  event.data_json = text_at(rows, r, 4);
  event.dedup_key = text_at(rows, r, 5);
  auto status = parse_outbox_status(rows.text(r, 6));
  if (!status) return fail(Error::internal("store: event_outbox row with an unknown status"));
  event.status = *status;
  event.attempts = static_cast<int>(int_at(rows, r, 7));
  event.enqueued_at = instant_at(rows, r, 8);
  event.next_attempt_at = instant_at(rows, r, 9);
  event.last_attempt_at = optional_time(rows, r, 10);
  event.delivered_at = optional_time(rows, r, 11);
  event.last_error = text_at(rows, r, 12);
  return event;
}

Result<std::vector<OutboxEvent>> events_at(const Rows& rows) {
  std::vector<OutboxEvent> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) {
    auto event = event_at(rows, r);
    if (!event) return fail(event.error());
    out.push_back(std::move(*event));
  }
  return out;
}

Param optional_millis(const std::optional<Instant>& value) {
  return value ? instant(*value) : null();
}

}  // namespace

Result<bool> PgEventOutboxStore::enqueue(const NewOutboxEvent& event) {
  if (auto s = check_storable_text("an event's id, type, data and dedup key",
                                   {event.id, event.type, event.data_json, event.dedup_key});
      !s) {
    return fail(s.error());
  }
  return db_.write(
      [&](Connection& connection) -> Result<bool> { return insert_outbox_row(connection, event); });
}

Result<std::vector<OutboxEvent>> PgEventOutboxStore::claim_due(Instant now, int limit,
                                                               Duration lease) {
  return db_.write([&](Connection& connection) -> Result<std::vector<OutboxEvent>> {
    auto rows = connection.exec(
        kClaim, {instant(now), integer(limit < 1 ? 1 : limit), instant(now + lease)});
    if (!rows) return fail(rows.error());
    // RETURNING has no order: restore the claim's (oldest due first, then
    // enqueue order).
    std::vector<std::tuple<std::int64_t, std::int64_t, int>> order;
    for (int r = 0; r < rows->size(); ++r) {
      order.emplace_back(int_at(*rows, r, 13), int_at(*rows, r, 0), r);
    }
    std::sort(order.begin(), order.end());
    std::vector<OutboxEvent> out;
    out.reserve(order.size());
    for (const auto& [due_at, seq, r] : order) {
      auto event = event_at(*rows, r);
      if (!event) return fail(event.error());
      out.push_back(std::move(*event));
    }
    return out;
  });
}

Result<bool> PgEventOutboxStore::mark_delivered(std::string_view id, Instant at,
                                                std::optional<Instant> claim) {
  if (!is_storable_text(id)) return false;  // names no event
  return db_.write([&](Connection& connection) -> Result<bool> {
    auto changed = connection.exec(kMarkDelivered, {text(id), instant(at), optional_millis(claim)});
    if (!changed) return fail(changed.error());
    return changed->affected() > 0;
  });
}

Result<bool> PgEventOutboxStore::mark_failed(std::string_view id, const OutboxFailure& failure) {
  if (!is_storable_text(id)) return false;
  if (auto s = check_storable_text("an attempt's error", {failure.error}); !s) {
    return fail(s.error());
  }
  return db_.write([&](Connection& connection) -> Result<bool> {
    auto changed = connection.exec(
        kMarkFailed, {text(id), text(failure.retry_at ? "pending" : "dead"), instant(failure.at),
                      instant(failure.retry_at.value_or(failure.at)), text(failure.error),
                      optional_millis(failure.claim)});
    if (!changed) return fail(changed.error());
    return changed->affected() > 0;
  });
}

Result<OutboxEvent> PgEventOutboxStore::requeue(std::string_view id, Instant now) {
  if (!is_storable_text(id)) return fail(Error::not_found("no such event"));
  return db_.write([&](Connection& connection) -> Result<OutboxEvent> {
    auto rows = connection.exec(kRequeue, {text(id), instant(now)});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return fail(Error::not_found("no such event"));
    return event_at(*rows, 0);
  });
}

Result<std::optional<OutboxEvent>> PgEventOutboxStore::get(std::string_view id) {
  if (!is_storable_text(id)) return std::optional<OutboxEvent>();
  return db_.read([&](Connection& connection) -> Result<std::optional<OutboxEvent>> {
    auto rows = connection.exec(kSelectById, {text(id)});
    if (!rows) return fail(rows.error());
    if (rows->empty()) return std::optional<OutboxEvent>();
    auto event = event_at(*rows, 0);
    if (!event) return fail(event.error());
    return std::optional<OutboxEvent>(std::move(*event));
  });
}

Result<OutboxPage> PgEventOutboxStore::list(const OutboxQuery& query) {
  if (query.limit < 1 || query.limit > kMaxOutboxPageSize) {
    return fail(Error::invalid_request("limit must be between 1 and " +
                                       std::to_string(kMaxOutboxPageSize)));
  }
  return db_.read([&](Connection& connection) -> Result<OutboxPage> {
    const std::string status = query.status ? std::string(to_string(*query.status)) : "";
    auto rows = connection.exec(
        kList, {text(status), integer(query.before.value_or(INT64_MAX)), integer(query.limit + 1)});
    if (!rows) return fail(rows.error());
    auto events = events_at(*rows);
    if (!events) return fail(events.error());
    OutboxPage page;
    if (static_cast<int>(events->size()) > query.limit) {
      events->resize(static_cast<std::size_t>(query.limit));
      page.next = events->back().seq;
    }
    page.events = std::move(*events);
    return page;
  });
}

Result<OutboxCounts> PgEventOutboxStore::counts() {
  return db_.read([&](Connection& connection) -> Result<OutboxCounts> {
    auto rows = connection.exec("SELECT status, COUNT(*) FROM event_outbox GROUP BY status");
    if (!rows) return fail(rows.error());
    OutboxCounts out;
    for (int r = 0; r < rows->size(); ++r) {
      const auto status = parse_outbox_status(rows->text(r, 0));
      const std::int64_t n = int_at(*rows, r, 1);
      if (status == OutboxStatus::kPending) out.pending = n;
      if (status == OutboxStatus::kDelivered) out.delivered = n;
      if (status == OutboxStatus::kDead) out.dead = n;
    }
    return out;
  });
}

Result<std::optional<Instant>> PgEventOutboxStore::next_due() {
  return db_.read([&](Connection& connection) -> Result<std::optional<Instant>> {
    auto rows =
        connection.exec("SELECT min(next_attempt_at) FROM event_outbox WHERE status = 'pending'");
    if (!rows) return fail(rows.error());
    return optional_instant_at(*rows, 0, 0);
  });
}

Result<std::int64_t> PgEventOutboxStore::prune(Instant before) {
  return db_.write([&](Connection& connection) -> Result<std::int64_t> {
    auto deleted = connection.exec(
        "DELETE FROM event_outbox WHERE (status = 'delivered' AND delivered_at < $1) "
        "OR (status = 'dead' AND last_attempt_at < $1)",
        {instant(before)});
    if (!deleted) return fail(deleted.error());
    return deleted->affected();
  });
}

std::unique_ptr<EventOutboxStore> make_pg_outbox_store(Database& db) {
  return std::make_unique<PgEventOutboxStore>(db);
}

}  // namespace latchkey::pg
