// How PostgreSQL failures become latchkey errors (store.h's contract):
//   - the server is unreachable, shutting down, out of connections, or the
//     connection broke, or a statement_timeout / lock_timeout /
//     idle_in_transaction_session_timeout ended the command: kUnavailable
//     (the API answers 503); a lock_timeout (55P03) has the reason
//     "lock_timeout": one row was held, the server itself answers;
//   - unique violation (23505): kConflict, the description naming the
//     constraint so that callers can say which value is taken;
//   - foreign-key violation (23503): kNotFound (the row named is missing);
//   - text PostgreSQL cannot hold (22021: malformed UTF-8 or NUL; the
//     connection refuses such a parameter itself with the same SQLSTATE):
//     kInvalidRequest;
//   - serialization failure / deadlock (40001, 40P01): retryable, and
//     kUnavailable if retries run out;
//   - anything else: kInternal.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "core/error.h"

namespace latchkey::pg {

inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kForeignKeyViolation = "23503";
inline constexpr std::string_view kUnstorableText = "22021";
inline constexpr std::string_view kLockNotAvailable = "55P03";
inline constexpr std::string_view kLockTimeoutReason = "lock_timeout";

// True for SQLSTATEs a transaction may simply run again after.
bool is_retryable(std::string_view sqlstate);
// True for SQLSTATEs that mean the server cannot answer now.
bool is_unavailable(std::string_view sqlstate);

// The Error for a failed command. `constraint` is the violated constraint
// (may be empty); `broken`: the connection is gone.
Error error_for(std::string_view sqlstate, std::string_view message, std::string_view constraint,
                bool broken);

}  // namespace latchkey::pg
