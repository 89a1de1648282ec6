// Origin restrictions and the token-interference alarm as SQL calls
// (docs/origin-restrictions.md, migration 13): the allowed CIDR blocks of
// users and API keys, the account-token issuances of the last window and
// each user's interference row. Run on the connection the caller holds;
// nothing here opens or ends a transaction.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/origin_columns.h"
#include "store/records.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

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

// Records one issuance, forgets every issuance older than the window, and
// applies the rule (Store::issue_watched_account_token).
Result<std::optional<TokenInterference>> watch_issuance(Connection& connection,
                                                        const AccountToken& token,
                                                        const InterferenceRule& rule);

Result<std::optional<TokenInterference>> select_interference(Connection& connection,
                                                             std::string_view user_id);

}  // namespace latchkey::sqlite
