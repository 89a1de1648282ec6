// Rows of the event_outbox table (migration 15) written inside a caller's
// transaction: the one writer of a new outbox row, shared by
// EventOutboxStore::enqueue and by changes that enqueue their events in
// their own transaction (Store::disable_expired_service_account).
#pragma once

#include "core/error.h"
#include "store/event_outbox_store.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

// Stores the event as pending, due at enqueued_at. A non-empty dedup_key
// already stored: nothing is written and false is returned. kConflict when
// the id is taken.
Result<bool> insert_outbox_row(Connection& connection, const NewOutboxEvent& event);

}  // namespace latchkey::sqlite
