// The users and user_modules tables as calls: one function per SQL
// operation, run on whatever connection the caller holds (the writer's inside
// a write job, or a borrowed reader's inside a read transaction). Nothing
// here opens or ends a transaction; the caller composes them.
//
// Users come back with their modules sorted by name.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/records.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

// Inserts the user and its modules (duplicates ignored). kConflict when the
// id or the name is taken.
Status insert_user(Connection& connection, const NewUser& user);

Result<std::optional<User>> select_user(Connection& connection, std::string_view id);
Result<std::optional<User>> select_user_by_name(Connection& connection, std::string_view name);
// Ordered by creation time, then insertion order.
Result<std::vector<User>> select_users(Connection& connection);
// Enabled service accounts with expires_at <= now, by creation time.
Result<std::vector<User>> select_expired_service_accounts(Connection& connection, Instant now);
// Sets disabled (and updated_at = now) only on an enabled service account
// with expires_at <= now. Returns whether it did.
Result<bool> disable_if_expired_row(Connection& connection, std::string_view id, Instant now);
Result<std::int64_t> count_users(Connection& connection);

// Whether the user is disabled; nullopt when there is no such user.
Result<std::optional<bool>> select_user_disabled(Connection& connection, std::string_view id);

// Applies the set fields of `update` and sets updated_at. Returns false when
// there is no such user.
Result<bool> update_user_row(Connection& connection, std::string_view id, const UserUpdate& update,
                             Instant now);

}  // namespace latchkey::sqlite
