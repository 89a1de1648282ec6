// Small pieces the policy area's PostgreSQL stores share (pg_policy_store,
// pg_audit_store, pg_console_store): the not-found rule of foreign keys and
// a read snapshot for operations that read several tables. Array
// parameters are pg_arrays.h's, text rules pg_text.h's (shared with the
// keys area); this header brings both in.
//
// Pure functions apart from snapshot(), which runs one statement on the
// connection it is given; thread-safety is that of the caller's objects.
#pragma once

#include <string_view>

#include "core/error.h"
#include "store/postgres/pg_arrays.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_text.h"

namespace latchkey::pg {

// The error of a failed exec() on `connection`, turned into kNotFound with
// `description` when a foreign key was violated (SQLite's backend does the
// same), else unchanged.
Error not_found_if_missing_reference(const Connection& connection, Error error,
                                     std::string_view description);

// Makes the transaction that Database::write just began a read-only
// REPEATABLE READ one: every later statement sees one snapshot, so a result
// assembled from several queries is consistent. Must be the first statement.
Status snapshot(Connection& connection);

}  // namespace latchkey::pg
