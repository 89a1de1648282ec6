#include "store/postgres/pg_outbox_rows.h"

#include "store/postgres/pg_values.h"

namespace latchkey::pg {

Result<bool> insert_outbox_row(Connection& connection, const NewOutboxEvent& event) {
  // The partial unique index decides duplicates in the database, also
  // between nodes enqueueing at once; a taken id is still an error.
  auto inserted = connection.exec(
      "INSERT INTO event_outbox (id, type, occurred_at, data_json, dedup_key, status,"
      " enqueued_at, next_attempt_at) VALUES ($1, $2, $3::bigint, $4, $5, 'pending', $6::bigint,"
      " $6::bigint) ON CONFLICT (dedup_key) WHERE dedup_key <> '' DO NOTHING",
      {text(event.id), text(event.type), instant(event.occurred_at), text(event.data_json),
       text(event.dedup_key), instant(event.enqueued_at)});
  if (!inserted) return fail(inserted.error());
  return inserted->affected() > 0;
}

}  // namespace latchkey::pg
