// The users and user_modules tables as calls on a connection the caller
// holds (inside Database::write or read); nothing here opens or ends a
// transaction. Users come back with their modules sorted and their allowed
// origins (pg_origin_rows.h). Mirrors sqlite/user_rows.h.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/postgres/pg_connection.h"
#include "store/records.h"

namespace latchkey::pg {

// Inserts the user and its modules. kConflict naming "users_name_key" or
// "users_pkey" when the name or the id is taken.
Status insert_user(Connection& connection, const NewUser& user);

Result<std::optional<User>> select_user(Connection& connection, std::string_view id);
Result<std::optional<User>> select_user_by_name(Connection& connection, std::string_view name);
// Ordered by creation time, then insertion order.
Result<std::vector<User>> select_users(Connection& connection);
// Enabled service accounts with expires_at <= now, by creation time.
Result<std::vector<User>> select_expired_service_accounts(Connection& connection, Instant now);
// Sets disabled (and updated_at) only on an enabled service account with
// expires_at <= now. Returns whether it did.
Result<bool> disable_if_expired_row(Connection& connection, std::string_view id, Instant now);
Result<bool> any_user(Connection& connection);

// Locks the user's row until the transaction ends (SELECT ... FOR UPDATE)
// and says whether it is disabled; nullopt when there is no such user.
// Every write that must be atomic per user across nodes (token issuance,
// disable, secret changes) takes this lock FIRST, before touching any other
// row of the user: one lock order everywhere, so no deadlock between them.
Result<std::optional<bool>> lock_user(Connection& connection, std::string_view id);

// Applies the set fields of `update` and sets updated_at. False when there
// is no such user.
Result<bool> update_user_row(Connection& connection, std::string_view id, const UserUpdate& update,
                             Instant now);

}  // namespace latchkey::pg
