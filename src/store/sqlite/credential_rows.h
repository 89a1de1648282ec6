// The client_credentials table (seed 000: one Client ID + Secret per user,
// the secret kept only as its digest) as calls on a connection the caller
// holds. Nothing here opens or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "store/records.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

// Inserts the user's credential or replaces the one it has. kNotFound when
// the user does not exist; kConflict when another user has the client id.
Status upsert_client_credential(Connection& connection, const ClientCredential& credential);

// Moves the user's previous secret's lapse back to `at` when it is still
// live at `at` (docs/rotation.md: retiring it early). Returns rows changed.
Result<int> end_previous_secret(Connection& connection, std::string_view user_id, Instant at);

Result<std::optional<ClientCredential>> select_credential_by_client_id(Connection& connection,
                                                                       std::string_view client_id);
Result<std::optional<ClientCredential>> select_credential_of_user(Connection& connection,
                                                                  std::string_view user_id);

}  // namespace latchkey::sqlite
