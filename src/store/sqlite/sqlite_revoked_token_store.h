// SqliteRevokedTokenStore: RevokedTokenStore (see revoked_token_store.h) on
// the shared SQLite Database (table revoked_jwts, migration 7).
#pragma once

#include "store/revoked_token_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteRevokedTokenStore final : public RevokedTokenStore {
 public:
  explicit SqliteRevokedTokenStore(Database& db) : db_(db) {}

  Result<bool> revoke_jwt(const RevokedJwt& revoked) override;
  Result<std::vector<RevokedJwt>> revoked_jwts(Instant now) override;
  Result<bool> is_jwt_revoked(std::string_view jti, Instant now) override;
  Result<int> prune_revoked_jwts(Instant before) override;

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
