// SqliteSessionStore: SessionStore (see session_store.h) on the shared SQLite Database.
#pragma once

#include "store/session_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(Database& db) : db_(db) {}

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

}  // namespace latchkey::sqlite
