#include "store/sqlite/sqlite_event_outbox_store.h"

#include <string>

#include "store/sqlite/connection.h"
#include "store/sqlite/outbox_rows.h"

namespace latchkey::sqlite {
namespace {

constexpr std::string_view kColumns =
    "seq, id, type, occurred_at, data_json, dedup_key, status, attempts, enqueued_at, "
    "next_attempt_at, last_attempt_at, delivered_at, last_error";

std::string select_sql(std::string_view rest) {
  return "SELECT " + std::string(kColumns) + " FROM event_outbox " + std::string(rest);
}

std::optional<Instant> optional_instant(const Statement& statement, int column) {
  const std::int64_t ms = statement.int_at(column);
  if (ms == 0) return std::nullopt;
  return from_unix_millis(ms);
}

Result<OutboxEvent> row_of(const Statement& s) {
  OutboxEvent event;
  event.seq = s.int_at(0);
  event.id = s.text_at(1);
  event.type = s.text_at(2);
  event.occurred_at = s.instant_at(3);
  event.data_json = s.text_at(4);
  event.dedup_key = s.text_at(5);
  auto status = parse_outbox_status(s.text_at(6));
  if (!status) return fail(Error::internal("store: event_outbox row with an unknown status"));
  event.status = *status;
  event.attempts = static_cast<int>(s.int_at(7));
  event.enqueued_at = s.instant_at(8);
  event.next_attempt_at = s.instant_at(9);
  event.last_attempt_at = optional_instant(s, 10);
  event.delivered_at = optional_instant(s, 11);
  event.last_error = s.text_at(12);
  return event;
}

Result<std::vector<OutboxEvent>> all_rows(Statement& statement) {
  std::vector<OutboxEvent> out;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    auto event = row_of(statement);
    if (!event) return fail(event.error());
    out.push_back(std::move(*event));
  }
  return out;
}

Result<std::optional<OutboxEvent>> select_by_id(Connection& connection, std::string_view id) {
  auto statement = connection.prepare(select_sql("WHERE id = ?"));
  if (!statement) return fail(statement.error());
  statement->bind_text(1, id);
  auto rows = all_rows(*statement);
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<OutboxEvent>();
  return std::optional<OutboxEvent>(std::move(rows->front()));
}

}  // namespace

Result<bool> SqliteEventOutboxStore::enqueue(const NewOutboxEvent& event) {
  return db_.write(
      [&](Connection& connection) -> Result<bool> { return insert_outbox_row(connection, event); });
}

Result<std::vector<OutboxEvent>> SqliteEventOutboxStore::claim_due(Instant now, int limit,
                                                                   Duration lease) {
  return db_.write([&](Connection& connection) -> Result<std::vector<OutboxEvent>> {
    auto due =
        connection.prepare(select_sql("WHERE status = 'pending' AND next_attempt_at <= ? "
                                      "ORDER BY next_attempt_at, seq LIMIT ?"));
    if (!due) return fail(due.error());
    due->bind_instant(1, now).bind_int(2, limit < 1 ? 1 : limit);
    auto events = all_rows(*due);
    if (!events) return fail(events.error());
    const Instant until = now + lease;
    for (OutboxEvent& event : *events) {
      auto claim = connection.prepare("UPDATE event_outbox SET next_attempt_at = ? WHERE seq = ?");
      if (!claim) return fail(claim.error());
      claim->bind_instant(1, until).bind_int(2, event.seq);
      if (auto s = claim->run(); !s) return fail(s.error());
      event.next_attempt_at = until;
    }
    return events;
  });
}

Result<bool> SqliteEventOutboxStore::mark_delivered(std::string_view id, Instant at,
                                                    std::optional<Instant> claim) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    // A claim is told by the next_attempt_at it set: a requeue or a later
    // claim moves it.
    auto statement = connection.prepare(
        "UPDATE event_outbox SET status = 'delivered', attempts = attempts + 1, "
        "last_attempt_at = ?, delivered_at = ?, last_error = '' "
        "WHERE id = ? AND status = 'pending' AND (? = 0 OR next_attempt_at = ?)");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, at)
        .bind_instant(2, at)
        .bind_text(3, id)
        .bind_int(4, claim ? 1 : 0)
        .bind_instant(5, claim.value_or(at));
    if (auto s = statement->run(); !s) return fail(s.error());
    return connection.changes() > 0;
  });
}

Result<bool> SqliteEventOutboxStore::mark_failed(std::string_view id,
                                                 const OutboxFailure& failure) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    auto statement = connection.prepare(
        "UPDATE event_outbox SET status = ?, attempts = attempts + 1, last_attempt_at = ?, "
        "next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending' "
        "AND (? = 0 OR next_attempt_at = ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, failure.retry_at ? "pending" : "dead")
        .bind_instant(2, failure.at)
        .bind_instant(3, failure.retry_at.value_or(failure.at))
        .bind_text(4, failure.error)
        .bind_text(5, id)
        .bind_int(6, failure.claim ? 1 : 0)
        .bind_instant(7, failure.claim.value_or(failure.at));
    if (auto s = statement->run(); !s) return fail(s.error());
    return connection.changes() > 0;
  });
}

Result<OutboxEvent> SqliteEventOutboxStore::requeue(std::string_view id, Instant now) {
  return db_.write([&](Connection& connection) -> Result<OutboxEvent> {
    auto statement = connection.prepare(
        "UPDATE event_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, "
        "delivered_at = 0 WHERE id = ?");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, now).bind_text(2, id);
    if (auto s = statement->run(); !s) return fail(s.error());
    if (connection.changes() == 0) return fail(Error::not_found("no such event"));
    auto event = select_by_id(connection, id);
    if (!event) return fail(event.error());
    if (!*event) return fail(Error::not_found("no such event"));
    return std::move(**event);
  });
}

Result<std::optional<OutboxEvent>> SqliteEventOutboxStore::get(std::string_view id) {
  return db_.read([&](Connection& connection) { return select_by_id(connection, id); });
}

Result<OutboxPage> SqliteEventOutboxStore::list(const OutboxQuery& query) {
  if (query.limit < 1 || query.limit > kMaxOutboxPageSize) {
    return fail(Error::invalid_request("limit must be between 1 and " +
                                       std::to_string(kMaxOutboxPageSize)));
  }
  return db_.read([&](Connection& connection) -> Result<OutboxPage> {
    auto statement = connection.prepare(
        select_sql("WHERE (? = '' OR status = ?) AND seq < ? ORDER BY seq DESC LIMIT ?"));
    if (!statement) return fail(statement.error());
    const std::string status = query.status ? std::string(to_string(*query.status)) : "";
    statement->bind_text(1, status)
        .bind_text(2, status)
        .bind_int(3, query.before.value_or(INT64_MAX))
        .bind_int(4, query.limit + 1);
    auto rows = all_rows(*statement);
    if (!rows) return fail(rows.error());
    OutboxPage page;
    if (static_cast<int>(rows->size()) > query.limit) {
      rows->resize(static_cast<std::size_t>(query.limit));
      page.next = rows->back().seq;
    }
    page.events = std::move(*rows);
    return page;
  });
}

Result<OutboxCounts> SqliteEventOutboxStore::counts() {
  return db_.read([&](Connection& connection) -> Result<OutboxCounts> {
    auto statement =
        connection.prepare("SELECT status, COUNT(*) FROM event_outbox GROUP BY status");
    if (!statement) return fail(statement.error());
    OutboxCounts out;
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      const auto status = parse_outbox_status(statement->text_at(0));
      const std::int64_t n = statement->int_at(1);
      if (status == OutboxStatus::kPending) out.pending = n;
      if (status == OutboxStatus::kDelivered) out.delivered = n;
      if (status == OutboxStatus::kDead) out.dead = n;
    }
    return out;
  });
}

Result<std::optional<Instant>> SqliteEventOutboxStore::next_due() {
  return db_.read([&](Connection& connection) -> Result<std::optional<Instant>> {
    auto statement = connection.prepare(
        "SELECT next_attempt_at FROM event_outbox WHERE status = 'pending' "
        "ORDER BY next_attempt_at LIMIT 1");
    if (!statement) return fail(statement.error());
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<Instant>();
    return std::optional<Instant>(statement->instant_at(0));
  });
}

Result<std::int64_t> SqliteEventOutboxStore::prune(Instant before) {
  return db_.write([&](Connection& connection) -> Result<std::int64_t> {
    auto statement = connection.prepare(
        "DELETE FROM event_outbox WHERE (status = 'delivered' AND delivered_at < ?) "
        "OR (status = 'dead' AND last_attempt_at < ?)");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, before).bind_instant(2, before);
    if (auto s = statement->run(); !s) return fail(s.error());
    return static_cast<std::int64_t>(connection.changes());
  });
}

}  // namespace latchkey::sqlite
