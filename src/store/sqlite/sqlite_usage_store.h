// SqliteUsageStore: UsageStore (see usage_store.h) on the shared SQLite
// Database (table key_usage, migration 14).
#pragma once

#include "store/sqlite/database.h"
#include "store/usage_store.h"

namespace latchkey::sqlite {

class SqliteUsageStore final : public UsageStore {
 public:
  explicit SqliteUsageStore(Database& db) : db_(db) {}

  Status add_usage(const std::vector<UsageRow>& rows) override;
  Result<std::vector<UsageRow>> usage_of_key(std::string_view key_id, UsageGranularity granularity,
                                             Instant from, Instant to) override;
  Result<int> prune_usage(UsageGranularity granularity, Instant before) override;

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
