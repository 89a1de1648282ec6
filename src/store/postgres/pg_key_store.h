// PgKeyStore: KeyStore (see key_store.h) on the shared PostgreSQL Database,
// tables api_keys and key_allowed_origins (pg_schema_keys.cc).
//
// Every rule holds across processes sharing the database: a reroll checks
// and writes under the old key's row lock (two nodes rerolling one key
// leave one new key; a deactivation on another node either precedes the
// reroll, which is then refused, or follows it); a deactivation's
// conditional UPDATE keeps the first one; last-use updates lock their rows
// in id order, so concurrent flushes from several nodes cannot deadlock.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "store/key_store.h"
#include "store/postgres/pg_database.h"

namespace latchkey::pg {

class PgKeyStore final : public KeyStore {
 public:
  explicit PgKeyStore(Database& db) : db_(db) {}

  Status insert_key(const ApiKey& key) override;
  Result<std::optional<ApiKey>> find_key(std::string_view id) override;
  Result<std::optional<ApiKey>> find_key_by_digest(const Digest& digest) override;
  Result<std::vector<ApiKey>> list_keys_of_user(std::string_view user_id) override;
  Result<std::vector<ApiKey>> list_keys() override;
  Result<std::optional<ApiKey>> deactivate_key(std::string_view id, Instant at,
                                               std::string_view by_user_id) override;
  Result<int> record_key_usage(const std::vector<KeyUsage>& usages) override;
  Result<KeyReroll> reroll_key(std::string_view old_id, const ApiKey& new_key, Instant lapses_at,
                               Instant at) override;
  Result<std::optional<ApiKey>> set_key_limits(std::string_view id,
                                               const KeyLimitOverride& limits) override;
  Result<std::optional<ApiKey>> set_key_allowed_origins(
      std::string_view id, const std::vector<std::string>& cidrs) override;

 private:
  Database& db_;
};

}  // namespace latchkey::pg
