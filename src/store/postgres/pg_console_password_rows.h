// The one writer of console_passwords (core schema), run inside a caller's
// transaction: shared by ConsoleStore::set_console_password (policy area)
// and Store::bootstrap_first_user, which sets the first user's password in
// its own transaction.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include <string_view>

#include "core/error.h"
#include "core/time.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// Sets the user's argon2id password hash. kNotFound when the user does not
// exist.
Status upsert_console_password(Connection& connection, std::string_view user_id,
                               std::string_view hash, Instant at);

}  // namespace latchkey::pg
