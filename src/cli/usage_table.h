// The readable form of GET /api/v1/keys/{id}/usage for `latchkey keys
// usage` (docs/key-usage.md): one line per bucket and route with a column
// per status class, then the totals. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace latchkey::cli {

// The table of a usage answer, or nullopt when `body` is not one.
std::optional<std::string> usage_table(std::string_view body);

}  // namespace latchkey::cli
