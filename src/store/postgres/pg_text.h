// What PostgreSQL text can hold: well-formed UTF-8 without NUL bytes. libpq
// sends a text parameter as a C string, so "key_a\0junk" would arrive as
// "key_a" and reach that key's row; malformed UTF-8 is refused by the
// server (a 500 if it got that far). The keys area checks caller-given text
// first: a lookup of such a value finds nothing, a write is refused with
// kInvalidRequest. Every stored value is storable, so nothing is lost.
// Pure functions; thread-safe.
#pragma once

#include <initializer_list>
#include <string_view>

#include "core/error.h"

namespace latchkey::pg {

bool is_storable_text(std::string_view value);
// kInvalidRequest naming `what` when one of `values` is not storable.
Status check_storable_text(std::string_view what, std::initializer_list<std::string_view> values);

}  // namespace latchkey::pg
