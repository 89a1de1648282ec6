// PgStore: the Store on PostgreSQL, for several latchkeyd nodes sharing one
// database (docs/postgresql.md). The core operations live here; each other
// area is made by its factory (pg_areas.h) over the same Database.
//
// Every invariant is enforced in the database, never by a node-local lock:
// per-user writes (token issuance, disable, secret changes) first lock the
// user's row (SELECT ... FOR UPDATE), so that they serialize across nodes;
// UNIQUE (account_tokens.user_id) backs invariant 1; bootstrap and
// signing-key rotation take transaction-scoped advisory locks.
//
// Thread-safety: every method may be called from any thread concurrently.
// No call may be in progress when the PgStore is destroyed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/pg_database.h"
#include "store/postgres/pg_issuance_batcher.h"
#include "store/store.h"

namespace latchkey::pg {

struct PgStoreOptions {
  std::string conninfo;  // libpq URL or key=value string
  int pool_size = 16;
  Duration acquire_timeout = std::chrono::seconds(5);
  // Account-token issuances sent together (pg_issuance_batcher.h): at most
  // this many per statement, at most issuance_in_flight statements at once.
  int issuance_batch = 32;
  int issuance_in_flight = 1;
};

class PgStore final : public Store {
 public:
  // Connects, migrates (pg_migrations.h) and builds every area.
  static Result<std::unique_ptr<PgStore>> open(const PgStoreOptions& options);
  ~PgStore() override;

  PolicyStore& policy() override { return *policy_; }
  AuditStore& audit() override { return *audit_; }
  KeyStore& keys() override { return *keys_; }
  SessionStore& sessions() override { return *sessions_; }
  SigningKeyStore& signing_keys() override { return *signing_keys_; }
  RevokedTokenStore& revoked_tokens() override { return *revoked_tokens_; }
  ConsoleStore& console() override { return *console_; }
  UsageStore& usage() override { return *usage_; }
  EventOutboxStore& outbox() override { return *outbox_; }

  Status ping() override;

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

  Database& database() { return *db_; }

 private:
  PgStore(std::unique_ptr<Database> db, const PgStoreOptions& options);

  std::unique_ptr<Database> db_;  // first: outlives the area stores
  std::unique_ptr<IssuanceBatcher> issuances_;
  std::unique_ptr<PolicyStore> policy_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<SigningKeyStore> signing_keys_;
  std::unique_ptr<RevokedTokenStore> revoked_tokens_;
  std::unique_ptr<ConsoleStore> console_;
  std::unique_ptr<UsageStore> usage_;
  std::unique_ptr<EventOutboxStore> outbox_;
};

}  // namespace latchkey::pg
