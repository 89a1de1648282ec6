// The api_keys table (pg_schema_keys.cc) as calls on a connection the
// caller holds, inside the caller's transaction; a key's allowed origins
// (key_allowed_origins) are read with it and written through
// pg_origin_rows.h. Nothing here begins or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/key_store.h"
#include "store/postgres/pg_connection.h"

namespace latchkey::pg {

// Inserts the key with its allowed origins, and with its rerolled_from and
// limit override as given. kConflict when the id or digest is taken;
// kNotFound when the owner does not exist.
Status insert_key_row(Connection& connection, const ApiKey& key);

// With `lock`, the key's row stays locked (FOR UPDATE) until the caller's
// transaction ends: reroll checks and writes under it.
Result<std::optional<ApiKey>> select_key(Connection& connection, std::string_view id,
                                         bool lock = false);
Result<std::optional<ApiKey>> select_key_by_digest(Connection& connection, const Digest& digest);
// Oldest first (creation, then insertion); every key when user_id is nullopt.
Result<std::vector<ApiKey>> select_keys(Connection& connection,
                                        std::optional<std::string_view> user_id);

}  // namespace latchkey::pg
