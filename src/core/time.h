// Instants and durations used everywhere in latchkey: milliseconds since the
// Unix epoch, UTC. Stores persist them as integers (to_unix_millis).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace latchkey {

using Duration = std::chrono::milliseconds;
using Instant = std::chrono::sys_time<Duration>;

inline std::int64_t to_unix_millis(Instant t) { return t.time_since_epoch().count(); }
inline Instant from_unix_millis(std::int64_t ms) { return Instant{Duration{ms}}; }

// Whole seconds from `from` until `to`, never negative (for `expires_in`).
std::int64_t seconds_until(Instant from, Instant to);

// "2026-11-23T10:00:00.123Z".
std::string format_rfc3339(Instant t);

}  // namespace latchkey
