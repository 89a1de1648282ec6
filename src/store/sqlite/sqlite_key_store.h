// SqliteKeyStore: KeyStore (see key_store.h) on the shared SQLite Database,
// table api_keys (migration 4; limit overrides: migration 6).
#pragma once

#include "store/key_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteKeyStore final : public KeyStore {
 public:
  explicit SqliteKeyStore(Database& db) : db_(db) {}

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

}  // namespace latchkey::sqlite
