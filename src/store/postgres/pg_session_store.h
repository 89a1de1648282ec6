// PgSessionStore: SessionStore (see session_store.h) on the shared
// PostgreSQL Database, table login_sessions (pg_schema_keys.cc).
//
// seed 003 across nodes: a login decides under the session row's lock
// (SELECT ... FOR UPDATE), and a session that does not exist yet is created
// with INSERT ... ON CONFLICT DO NOTHING, after which the loser locks the
// winner's row and decides on it. So concurrent logins for one (key,
// session) on any number of nodes return one token; a revocation takes the
// same lock, so a login never overwrites a revocation it did not see.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "store/postgres/pg_database.h"
#include "store/session_store.h"

namespace latchkey::pg {

class PgSessionStore final : public SessionStore {
 public:
  explicit PgSessionStore(Database& db) : db_(db) {}

  using SessionStore::login_session;
  Result<LoginOutcome> login_session(
      const LoginSession& candidate, Instant now,
      const std::function<bool(const LoginSession&)>& reusable) override;
  Result<std::optional<LoginSession>> find_session(std::string_view key_id,
                                                   std::string_view session_id) override;
  Result<std::vector<LoginSession>> sessions_of_key(std::string_view key_id) override;
  Result<LoginSession> revoke_session(std::string_view key_id, std::string_view session_id,
                                      Instant at) override;
  Result<std::vector<LoginSession>> revoked_sessions(Instant now) override;
  Result<int> prune_sessions(Instant before) override;

 private:
  Database& db_;
};

}  // namespace latchkey::pg
