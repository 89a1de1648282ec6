// Reads a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an
// HTTP-date (IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"). Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace latchkey::client::internal {

// The delay in seconds from `now_unix`; a date in the past is 0. nullopt
// when the value is neither form.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::int64_t now_unix);

}  // namespace latchkey::client::internal
