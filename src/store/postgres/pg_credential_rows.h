// The client_credentials table (seed 000, rotation overlap) as calls on a
// connection the caller holds; nothing here opens or ends a transaction.
// Mirrors sqlite/credential_rows.h.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "store/postgres/pg_connection.h"
#include "store/records.h"

namespace latchkey::pg {

// Inserts or replaces the user's credential (old secret and client id stop
// working). kNotFound when the user does not exist, kConflict when another
// user holds the client id.
Status upsert_client_credential(Connection& connection, const ClientCredential& credential);

Result<std::optional<ClientCredential>> select_credential_by_client_id(Connection& connection,
                                                                       std::string_view client_id);
// With `for_update`, the row stays locked until the transaction ends.
Result<std::optional<ClientCredential>> select_credential_of_user(Connection& connection,
                                                                  std::string_view user_id,
                                                                  bool for_update = false);

// Ends the user's previous secret at `at` if it still works then. Returns
// how many rows changed (0 or 1).
Result<int> end_previous_secret(Connection& connection, std::string_view user_id, Instant at);

}  // namespace latchkey::pg
