// SqliteConsoleStore: ConsoleStore (see console_store.h) on the shared SQLite
// Database (tables console_passwords, console_sessions, console_invitations,
// migration 9).
#pragma once

#include "store/console_store.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

// Inside a transaction the caller holds (bootstrap_first_user also uses it).
Status upsert_console_password(Connection& connection, std::string_view user_id,
                               std::string_view hash, Instant at);

class SqliteConsoleStore final : public ConsoleStore {
 public:
  explicit SqliteConsoleStore(Database& db) : db_(db) {}

  Status set_console_password(std::string_view user_id, std::string_view password_hash,
                              Instant at) override;
  Result<std::optional<std::string>> console_password_hash(std::string_view user_id) override;

  Status create_console_session(const ConsoleSession& session) override;
  Result<std::optional<ConsoleSession>> find_console_session_by_secret(
      const Digest& secret_digest) override;
  Result<std::optional<ConsoleSession>> find_console_session(std::string_view id) override;
  Result<std::vector<ConsoleSession>> open_console_sessions_of_user(
      std::string_view user_id) override;
  Status note_console_sessions_seen(const std::vector<ConsoleSessionSeen>& seen) override;
  Result<bool> end_console_session(std::string_view id, Instant at,
                                   std::string_view reason) override;
  Result<int> end_console_sessions_of_user(std::string_view user_id, Instant at,
                                           std::string_view reason) override;
  Result<int> prune_console_sessions(Instant before) override;
  Status add_console_session_token(const ConsoleSessionToken& token) override;
  Result<std::vector<ConsoleSessionToken>> console_session_tokens(std::string_view session_id,
                                                                  Instant now) override;
  Result<std::vector<ConsoleSessionToken>> console_session_tokens_of_user(std::string_view user_id,
                                                                          Instant now) override;

  Status put_console_invitation(const ConsoleInvitation& invitation) override;
  Result<std::optional<ConsoleInvitation>> find_console_invitation(
      const Digest& token_digest) override;
  Result<ConsoleInvitation> accept_console_invitation(const Digest& token_digest,
                                                      std::string_view password_hash,
                                                      Instant now) override;

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
