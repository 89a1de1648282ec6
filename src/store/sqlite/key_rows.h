// The api_keys table as calls: one function per SQL operation, run on the
// connection the caller holds. Nothing here opens or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/key_store.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

// kConflict when the id or digest is taken; kNotFound when the owner is not.
Status insert_key_row(Connection& connection, const ApiKey& key);

Result<std::optional<ApiKey>> select_key(Connection& connection, std::string_view id);
Result<std::optional<ApiKey>> select_key_by_digest(Connection& connection, const Digest& digest);
// Oldest first; every key when user_id is nullopt.
Result<std::vector<ApiKey>> select_keys(Connection& connection,
                                        std::optional<std::string_view> user_id);

// Sets deactivated_at/by unless already set. Returns rows changed.
Result<int> deactivate_key_row(Connection& connection, std::string_view id, Instant at,
                               std::string_view by_user_id);

// Replaces the limit override (NULL columns when unset). Returns rows changed.
Result<int> update_key_limits(Connection& connection, std::string_view id,
                              const KeyLimitOverride& limits);

// Reroll (migration 11): sets the new key's rerolled_from and its limit
// override (insert_key_row writes neither). Returns rows changed.
Result<int> link_rerolled_key(Connection& connection, const ApiKey& new_key,
                              std::string_view old_id);
// Sets replaced_by and lapses_at of a key not yet rerolled. Returns rows
// changed (0 when it was already rerolled or does not exist).
Result<int> mark_key_replaced(Connection& connection, std::string_view old_id,
                              std::string_view new_id, Instant lapses_at);
// Ends the overlap of key `id` (replaced by `replaced_by`) at `at` when it
// lapses later (docs/rotation.md, reroll chains). Returns rows changed.
Result<int> end_key_overlap(Connection& connection, std::string_view id,
                            std::string_view replaced_by, Instant at);

// Moves last_used_at forward to `at`. Returns rows changed (0 or 1).
Result<int> update_key_last_used(Connection& connection, std::string_view id, Instant at);

}  // namespace latchkey::sqlite
