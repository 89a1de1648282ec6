// RevokedTokenStore on PostgreSQL (revoked_token_store.h). Revoking a jti
// twice keeps the first row: ON CONFLICT DO NOTHING decides it in the
// database, whichever node revokes.
#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_values.h"
#include "store/revoked_token_store.h"

namespace latchkey::pg {
namespace {

class PgRevokedTokenStore final : public RevokedTokenStore {
 public:
  explicit PgRevokedTokenStore(Database& db) : db_(db) {}

  Result<bool> revoke_jwt(const RevokedJwt& revoked) override {
    return db_.write([&](Connection& c) -> Result<bool> {
      auto inserted = c.exec(
          "INSERT INTO revoked_jwts (jti, user_id, revoked_at, expires_at)"
          " VALUES ($1, $2, $3::bigint, $4::bigint) ON CONFLICT (jti) DO NOTHING",
          {text(revoked.jti), text(revoked.user_id), instant(revoked.revoked_at),
           instant(revoked.expires_at)});
      if (!inserted) return fail(inserted.error());
      return inserted->affected() > 0;
    });
  }

  Result<std::vector<RevokedJwt>> revoked_jwts(Instant now) override {
    return db_.read([&](Connection& c) -> Result<std::vector<RevokedJwt>> {
      auto rows = c.exec(
          "SELECT jti, user_id, revoked_at, expires_at FROM revoked_jwts"
          " WHERE expires_at > $1::bigint ORDER BY jti",
          {instant(now)});
      if (!rows) return fail(rows.error());
      std::vector<RevokedJwt> out;
      for (int i = 0; i < rows->size(); ++i) {
        out.push_back(RevokedJwt{text_at(*rows, i, 0), text_at(*rows, i, 1),
                                 instant_at(*rows, i, 2), instant_at(*rows, i, 3)});
      }
      return out;
    });
  }

  // One primary-key probe, not revoked_jwts(now): a node in degraded mode
  // asks this for every JWT it checks.
  Result<bool> is_jwt_revoked(std::string_view jti, Instant now) override {
    return db_.read([&](Connection& c) -> Result<bool> {
      auto rows = c.exec("SELECT 1 FROM revoked_jwts WHERE jti = $1 AND expires_at > $2::bigint",
                         {text(jti), instant(now)});
      if (!rows) {
        if (c.refused_text()) return false;  // no stored jti holds a NUL or malformed UTF-8
        return fail(rows.error());
      }
      return !rows->empty();
    });
  }

  Result<int> prune_revoked_jwts(Instant before) override {
    return db_.write([&](Connection& c) -> Result<int> {
      auto deleted =
          c.exec("DELETE FROM revoked_jwts WHERE expires_at <= $1::bigint", {instant(before)});
      if (!deleted) return fail(deleted.error());
      return static_cast<int>(deleted->affected());
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<RevokedTokenStore> make_pg_revoked_token_store(Database& db) {
  return std::make_unique<PgRevokedTokenStore>(db);
}

}  // namespace latchkey::pg
