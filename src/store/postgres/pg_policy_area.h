// Small pieces the policy area's PostgreSQL stores share (pg_policy_store,
// pg_audit_store, pg_console_store): array parameters, text that
// PostgreSQL accepts, the not-found rule of foreign keys, and a read
// snapshot for operations that read several tables.
//
// Pure functions apart from snapshot(), which runs one statement on the
// connection it is given; thread-safety is that of the caller's objects.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// `values` as a PostgreSQL array literal ("{"a","b\"c"}"), to be sent as
// one text parameter and cast ($1::text[]). Every element is quoted, so
// commas, braces and quotes in a value are data.
std::string text_array(std::span<const std::string> values);
std::string int_array(std::span<const std::int64_t> values);

// `value` with every byte that is not part of well-formed UTF-8, and every
// NUL, replaced by U+FFFD: a PostgreSQL text column refuses both, and
// client-supplied headers (User-Agent, X-Integration) may hold them. Valid
// input comes back unchanged.
std::string valid_utf8(std::string_view value);

// Whether PostgreSQL can hold `value` as text as it is: well-formed UTF-8
// without NUL. libpq cuts a text parameter at its first NUL, so a caller's
// "rol_a\0x" would otherwise reach the rows of "rol_a"; such a value names
// no stored row (every stored text is storable).
bool storable(std::string_view value);
// kInvalidRequest when one of `values` is not storable().
Status check_text(std::initializer_list<std::string_view> values);

// The SQLSTATE of a foreign-key violation: the row referred to does not
// exist (or was deleted by a concurrent transaction).
inline constexpr std::string_view kForeignKeyViolation = "23503";

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
