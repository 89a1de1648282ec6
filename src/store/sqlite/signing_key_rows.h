// The signing_keys table (JWT signing keys) as calls on a connection the
// caller holds. Nothing here opens or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <optional>
#include <vector>

#include "core/error.h"
#include "store/signing_key_store.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

Result<std::vector<SigningKeyRecord>> select_signing_keys(Connection& connection);
// The newest key not retired, if any.
Result<std::optional<SigningKeyRecord>> select_current_signing_key(Connection& connection);
// Retires every current key at `at`; returns how many.
Result<int> retire_signing_keys(Connection& connection, Instant at, Instant verify_until);
Status insert_signing_key(Connection& connection, const SigningKeyRecord& key);
Result<int> delete_signing_keys_unusable_at(Connection& connection, Instant now);

}  // namespace latchkey::sqlite
