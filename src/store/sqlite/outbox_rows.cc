#include "store/sqlite/outbox_rows.h"

namespace latchkey::sqlite {

Result<bool> insert_outbox_row(Connection& connection, const NewOutboxEvent& event) {
  if (!event.dedup_key.empty()) {
    auto seen = connection.prepare("SELECT 1 FROM event_outbox WHERE dedup_key = ?");
    if (!seen) return fail(seen.error());
    seen->bind_text(1, event.dedup_key);
    auto row = seen->step();
    if (!row) return fail(row.error());
    if (*row) return false;
  }
  auto insert = connection.prepare(
      "INSERT INTO event_outbox (id, type, occurred_at, data_json, dedup_key, status, "
      "enqueued_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)");
  if (!insert) return fail(insert.error());
  insert->bind_text(1, event.id)
      .bind_text(2, event.type)
      .bind_instant(3, event.occurred_at)
      .bind_text(4, event.data_json)
      .bind_text(5, event.dedup_key)
      .bind_instant(6, event.enqueued_at)
      .bind_instant(7, event.enqueued_at);
  if (auto s = insert->run(); !s) return fail(s.error());
  return true;
}

}  // namespace latchkey::sqlite
