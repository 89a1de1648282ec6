#include "store/postgres/pg_errors.h"

#include <string>

namespace latchkey::pg {

bool is_retryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

bool is_unavailable(std::string_view sqlstate) {
  // 08: connection exceptions; 53: insufficient resources (too many
  // connections, disk full); 57P01-57P03: admin/crash shutdown, cannot
  // connect now; 55P03: lock not available (lock_timeout); 57014: query
  // canceled (statement_timeout: latchkeyd cancels nothing itself); 25P03:
  // idle_in_transaction_session_timeout.
  return sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate == "57P01" ||
         sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "55P03" || sqlstate == "57014" ||
         sqlstate == "25P03";
}

Error error_for(std::string_view sqlstate, std::string_view message, std::string_view constraint,
                bool broken) {
  std::string text = "postgres: " + std::string(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!broken && sqlstate == kLockNotAvailable) {
    return Error::unavailable("store unavailable (" + text + ")")
        .with_reason(std::string(kLockTimeoutReason));
  }
  if (broken || is_unavailable(sqlstate)) {
    return Error::unavailable("store unavailable (" + text + ")");
  }
  if (sqlstate == kUniqueViolation) {
    return Error::conflict("unique constraint " + std::string(constraint) + " violated");
  }
  if (sqlstate == kForeignKeyViolation) {
    // As SQLite's backend: a row that names a missing one (a user, a key).
    return Error::not_found("referenced row does not exist (" + std::string(constraint) + ")");
  }
  if (sqlstate == kUnstorableText) {
    // Malformed UTF-8 (or a NUL) in a parameter: the caller's text.
    return Error::invalid_request("text must be valid UTF-8 without NUL characters");
  }
  if (is_retryable(sqlstate)) {
    return Error::unavailable("store busy: concurrent transactions kept conflicting (" + text +
                              ")");
  }
  return Error::internal(text + (sqlstate.empty() ? "" : " [" + std::string(sqlstate) + "]"));
}

}  // namespace latchkey::pg
