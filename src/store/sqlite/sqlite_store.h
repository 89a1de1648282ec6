// SqliteStore: the embedded Store, one SQLite database (see database.h)
// shared by the area stores of the backend.
//
// Thread-safety: every method may be called from any thread concurrently
// (as store.h promises). Destruction waits for queued writes to finish; no
// call may be in progress on another thread when it starts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_audit_store.h"
#include "store/sqlite/sqlite_console_store.h"
#include "store/sqlite/sqlite_event_outbox_store.h"
#include "store/sqlite/sqlite_key_store.h"
#include "store/sqlite/sqlite_policy_store.h"
#include "store/sqlite/sqlite_revoked_token_store.h"
#include "store/sqlite/sqlite_session_store.h"
#include "store/sqlite/sqlite_signing_key_store.h"
#include "store/sqlite/sqlite_usage_store.h"
#include "store/store.h"

namespace latchkey {

class SqliteStore final : public Store {
 public:
  // See sqlite::Database::open.
  static Result<std::unique_ptr<SqliteStore>> open(const StoreOptions& options);
  ~SqliteStore() override;

  PolicyStore& policy() override { return policy_; }
  AuditStore& audit() override { return audit_; }
  KeyStore& keys() override { return keys_; }
  SessionStore& sessions() override { return sessions_; }
  SigningKeyStore& signing_keys() override { return signing_keys_; }
  RevokedTokenStore& revoked_tokens() override { return revoked_tokens_; }
  UsageStore& usage() override { return usage_; }
  ConsoleStore& console() override { return console_; }
  EventOutboxStore& outbox() override { return outbox_; }

  Result<User> create_user(const NewUser& user) override;
  Result<User> get_user(std::string_view id) override;
  Result<std::optional<User>> find_user_by_name(std::string_view name) override;
  Result<std::vector<User>> list_users() override;
  Result<User> update_user(std::string_view id, const UserUpdate& update, Instant now) override;
  Result<User> set_user_allowed_origins(std::string_view id, const std::vector<std::string>& cidrs,
                                        Instant now) override;
  Result<bool> has_users() override;
  Result<std::vector<User>> list_expired_service_accounts(Instant now) override;
  using Store::disable_expired_service_account;
  Result<std::optional<User>> disable_expired_service_account(std::string_view id, Instant now,
                                                              const OutboxRowsFor& events) override;
  Result<bool> bootstrap_first_user(const NewUser& user,
                                    const ClientCredential& credential) override;
  Result<bool> bootstrap_first_user(const NewUser& user, const ClientCredential& credential,
                                    const std::string& console_password_hash) override;

  Status put_client_credential(const ClientCredential& credential) override;
  using Store::set_client_secret;
  Result<ClientCredential> set_client_secret(std::string_view user_id,
                                             std::string_view client_id_if_new,
                                             const Digest& secret_digest, Instant at,
                                             bool only_if_none,
                                             Duration previous_valid_for) override;
  Result<std::optional<ClientCredential>> retire_previous_client_secret(std::string_view user_id,
                                                                        Instant at) override;
  Result<std::optional<ClientCredential>> find_client_credential(
      std::string_view client_id) override;
  Result<std::optional<ClientCredential>> client_credential_of_user(
      std::string_view user_id) override;

  Status issue_account_token(const AccountToken& token) override;
  Result<std::optional<TokenInterference>> issue_watched_account_token(
      const AccountToken& token, const InterferenceRule& rule) override;
  Result<std::optional<TokenInterference>> find_token_interference(
      std::string_view user_id) override;
  Result<AccountTokenLookup> find_account_token(const Digest& digest) override;
  Result<bool> end_account_token(const Digest& digest, TokenEndReason reason, Instant at) override;
  Result<int> end_account_tokens_of_user(std::string_view user_id, TokenEndReason reason,
                                         Instant at) override;
  Result<int> prune_tombstones(Instant now) override;

  // Group-commit counters, for benchmarks and metrics.
  sqlite::WriteStats write_stats() const { return db_->write_stats(); }

 private:
  explicit SqliteStore(std::unique_ptr<sqlite::Database> db);

  std::unique_ptr<sqlite::Database> db_;  // first: outlives the area stores
  sqlite::SqlitePolicyStore policy_;
  sqlite::SqliteAuditStore audit_;
  sqlite::SqliteKeyStore keys_;
  sqlite::SqliteSessionStore sessions_;
  sqlite::SqliteSigningKeyStore signing_keys_;
  sqlite::SqliteRevokedTokenStore revoked_tokens_;
  sqlite::SqliteConsoleStore console_;
  sqlite::SqliteUsageStore usage_;
  sqlite::SqliteEventOutboxStore outbox_;
};

}  // namespace latchkey
