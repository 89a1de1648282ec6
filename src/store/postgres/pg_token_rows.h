// The account_tokens and token_tombstones tables (seed 000) as calls on a
// connection the caller holds. Ending a token moves its row into
// token_tombstones (keeping its expires_at) and deletes it, in one
// statement. Nothing here opens or ends a transaction. Mirrors
// sqlite/token_rows.h.
//
// Thread-safety: that of the Connection passed in.
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "store/postgres/pg_connection.h"
#include "store/records.h"

namespace latchkey::pg {

// How tokens end: why, when, and for kSuperseded who replaced them.
struct TokenEnding {
  TokenEndReason reason = TokenEndReason::kRevoked;
  Instant at;
  std::string_view by_client_id;
  std::string_view by_ip;
  std::string_view by_user_agent;
};

// Ends every live token of the user. Returns how many.
Result<int> end_tokens_of_user(Connection& connection, std::string_view user_id,
                               const TokenEnding& ending);
// Ends the live token with `digest`. Returns false when it was not live.
Result<bool> end_token(Connection& connection, const Digest& digest, const TokenEnding& ending);

// Inserts a live token and forgets any tombstone with its digest. kConflict
// when the user already has a live token or the digest is live.
Status insert_account_token(Connection& connection, const AccountToken& token);

Result<std::optional<AccountToken>> select_account_token(Connection& connection,
                                                         const Digest& digest);
Result<std::optional<TokenTombstone>> select_tombstone(Connection& connection,
                                                       const Digest& digest);

// Deletes tombstones whose expires_at is before `now`. Returns how many.
Result<int> delete_tombstones_expired_before(Connection& connection, Instant now);

}  // namespace latchkey::pg
