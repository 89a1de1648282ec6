// The login_sessions table (seed 003) as calls on a connection the caller
// holds. Nothing here opens or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/session_store.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

Result<std::optional<LoginSession>> select_session(Connection& connection, std::string_view key_id,
                                                   std::string_view session_id);
Result<std::vector<LoginSession>> select_sessions_of_key(Connection& connection,
                                                         std::string_view key_id);
Result<std::vector<LoginSession>> select_revoked_sessions(Connection& connection, Instant now);
// Inserts or replaces the session's token (clearing revoked_at); created_at
// is kept for an existing session.
Status upsert_session(Connection& connection, const LoginSession& session);
Status mark_session_revoked(Connection& connection, std::string_view key_id,
                            std::string_view session_id, Instant at);
Result<int> delete_sessions_expired_before(Connection& connection, Instant before);

}  // namespace latchkey::sqlite
