// Origin restrictions and the token-interference alarm as SQL calls
// (docs/origin-restrictions.md): the allowed CIDR blocks of users
// (user_allowed_origins, core schema) and of API keys (key_allowed_origins,
// the keys area's schema: the keys area uses these same functions), the
// account-token issuances of the last window and each user's interference
// row. Nothing here opens or ends a transaction. Mirrors
// sqlite/origin_rows.h.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/origin_columns.h"
#include "store/postgres/pg_connection.h"
#include "store/records.h"

namespace latchkey::pg {

using latchkey::OriginOwner;  // store/origin_columns.h

// The owner's blocks; empty when it has none.
Result<std::vector<std::string>> select_allowed_origins(Connection& connection, OriginOwner owner,
                                                        std::string_view owner_id);
// Every owner's blocks of that kind, by owner id.
Result<std::map<std::string, std::vector<std::string>, std::less<>>> select_all_allowed_origins(
    Connection& connection, OriginOwner owner);
// Replaces the owner's blocks; an empty list deletes the row.
Status replace_allowed_origins(Connection& connection, OriginOwner owner, std::string_view owner_id,
                               const std::vector<std::string>& cidrs);

// Records one issuance, forgets issuances older than the window, and applies
// the rule (Store::issue_watched_account_token). The caller holds the user's
// row lock (lock_user), so one user's issuances are counted one at a time.
Result<std::optional<TokenInterference>> watch_issuance(Connection& connection,
                                                        const AccountToken& token,
                                                        const InterferenceRule& rule);
// The rule's part of watch_issuance, for an issuance already recorded:
// `regenerations` issuances of the user in the window, the first at
// `first`. Stores and returns the interference when it alarms. The caller
// holds the user's row lock.
Result<std::optional<TokenInterference>> apply_interference_rule(Connection& connection,
                                                                 const AccountToken& token,
                                                                 const InterferenceRule& rule,
                                                                 int regenerations, Instant first);

Result<std::optional<TokenInterference>> select_interference(Connection& connection,
                                                             std::string_view user_id);

}  // namespace latchkey::pg
