// PostgreSQL array literals for query parameters, so that a batch (a usage
// flush, a list of key ids) travels as one parameter per column and is
// written by one statement: "$1::text[]" with array_literal(...), then
// unnest() in SQL.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// {"a","b \"c\""}: every element quoted, '"' and '\' escaped, so any text
// (commas, braces, spaces, the word NULL) reads back as itself.
std::string array_literal(const std::vector<std::string_view>& items);
std::string array_literal(std::span<const std::string> items);
// {1,2,3}
std::string array_literal(std::span<const std::int64_t> items);

// The same as a query parameter ("$1::text[]", "$1::bigint[]").
Param array_param(const std::vector<std::string_view>& items);
Param array_param(std::span<const std::string> items);
Param array_param(std::span<const std::int64_t> items);

}  // namespace latchkey::pg
