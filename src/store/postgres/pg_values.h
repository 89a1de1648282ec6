// Conversions between latchkey values and PostgreSQL columns, mirroring the
// SQLite layout: times are BIGINT unix milliseconds, digests and other
// bytes are BYTEA (sent binary, read as the text form "\x<hex>"), flags are
// BOOLEAN, optional values are NULL when unset.
//
// Readers take the Rows, the row and the column; they never fail on a value
// of the column's declared type (a malformed value reads as zero/empty).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.h"
#include "core/time.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// --- parameters --------------------------------------------------------------
Param text(std::string_view value);
Param integer(std::int64_t value);
Param boolean(bool value);
Param instant(Instant value);
Param optional_instant(const std::optional<Instant>& value);
Param bytes(std::string_view value);
Param digest(const Digest& value);
Param optional_digest(const std::optional<Digest>& value);
Param null();

// --- columns -----------------------------------------------------------------
std::string text_at(const Rows& rows, int row, int column);
std::int64_t int_at(const Rows& rows, int row, int column);
bool bool_at(const Rows& rows, int row, int column);
Instant instant_at(const Rows& rows, int row, int column);
std::optional<Instant> optional_instant_at(const Rows& rows, int row, int column);
std::optional<std::int64_t> optional_int_at(const Rows& rows, int row, int column);
std::string bytes_at(const Rows& rows, int row, int column);
Digest digest_at(const Rows& rows, int row, int column);
std::optional<Digest> optional_digest_at(const Rows& rows, int row, int column);

}  // namespace latchkey::pg
