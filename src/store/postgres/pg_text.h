// What PostgreSQL text can hold: well-formed UTF-8 without NUL bytes. libpq
// sends a text parameter as a C string, so "key_a\0junk" would arrive as
// "key_a" and reach that key's row; malformed UTF-8 is refused by the
// server (a 500 if it got that far). Connection::exec refuses such a
// parameter (pg_connection.h refused_text()); the stores also check
// caller-given text first where that reads better: a lookup of such a value
// finds nothing, a write is refused with kInvalidRequest. Every stored value
// is storable, so nothing is lost.
// Pure functions; thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/error.h"

namespace latchkey::pg {

bool is_storable_text(std::string_view value);
// `value` with every byte that is not part of well-formed UTF-8, and every
// NUL, replaced by U+FFFD: for text a client may send in any bytes
// (User-Agent, X-Integration) that is stored rather than refused. Valid
// input comes back unchanged.
std::string valid_utf8(std::string_view value);
// kInvalidRequest naming `what` when one of `values` is not storable.
Status check_storable_text(std::string_view what, std::initializer_list<std::string_view> values);

}  // namespace latchkey::pg
