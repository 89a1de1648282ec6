#include "store/sqlite/sqlite_revoked_token_store.h"

#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

Result<bool> SqliteRevokedTokenStore::revoke_jwt(const RevokedJwt& revoked) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    auto statement = connection.prepare(
        "INSERT INTO revoked_jwts (jti, user_id, revoked_at, expires_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (jti) DO NOTHING");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, revoked.jti)
        .bind_text(2, revoked.user_id)
        .bind_instant(3, revoked.revoked_at)
        .bind_instant(4, revoked.expires_at);
    if (auto s = statement->run(); !s) return fail(s.error());
    return connection.changes() > 0;
  });
}

Result<std::vector<RevokedJwt>> SqliteRevokedTokenStore::revoked_jwts(Instant now) {
  return db_.read([&](Connection& connection) -> Result<std::vector<RevokedJwt>> {
    auto statement = connection.prepare(
        "SELECT jti, user_id, revoked_at, expires_at FROM revoked_jwts WHERE expires_at > ? "
        "ORDER BY jti");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, now);
    std::vector<RevokedJwt> out;
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      out.push_back(RevokedJwt{statement->text_at(0), statement->text_at(1),
                               statement->instant_at(2), statement->instant_at(3)});
    }
    return out;
  });
}

// One primary-key probe rather than the default's scan of revoked_jwts().
Result<bool> SqliteRevokedTokenStore::is_jwt_revoked(std::string_view jti, Instant now) {
  return db_.read([&](Connection& connection) -> Result<bool> {
    auto statement =
        connection.prepare("SELECT 1 FROM revoked_jwts WHERE jti = ? AND expires_at > ?");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, jti).bind_instant(2, now);
    auto row = statement->step();
    if (!row) return fail(row.error());
    return *row;
  });
}

Result<int> SqliteRevokedTokenStore::prune_revoked_jwts(Instant before) {
  return db_.write([&](Connection& connection) -> Result<int> {
    auto statement = connection.prepare("DELETE FROM revoked_jwts WHERE expires_at <= ?");
    if (!statement) return fail(statement.error());
    statement->bind_instant(1, before);
    if (auto s = statement->run(); !s) return fail(s.error());
    return connection.changes();
  });
}

}  // namespace latchkey::sqlite
