// The one writer of a new event_outbox row (core schema), run inside a
// caller's transaction: shared by EventOutboxStore::enqueue (keys area) and
// by core changes that enqueue their events in their own transaction
// (Store::disable_expired_service_account). Mirrors sqlite/outbox_rows.h.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include "core/error.h"
#include "store/event_outbox_store.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// Stores the event as pending, due at enqueued_at. A non-empty dedup_key
// already stored (by any node): nothing is written and false is returned.
// kConflict when the id is taken.
Result<bool> insert_outbox_row(Connection& connection, const NewOutboxEvent& event);

}  // namespace latchkey::pg
