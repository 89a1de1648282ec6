// PgUsageStore: UsageStore (see usage_store.h) on the shared PostgreSQL
// Database, table key_usage (pg_schema_keys.cc).
//
// A flush is one INSERT ... ON CONFLICT DO UPDATE that adds its counts, so
// flushes from several nodes into the same bucket sum exactly; its rows are
// written in primary-key order, so two such flushes lock shared rows in the
// same order and never deadlock.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "store/postgres/pg_database.h"
#include "store/usage_store.h"

namespace latchkey::pg {

class PgUsageStore final : public UsageStore {
 public:
  explicit PgUsageStore(Database& db) : db_(db) {}

  Status add_usage(const std::vector<UsageRow>& rows) override;
  Result<std::vector<UsageRow>> usage_of_key(std::string_view key_id, UsageGranularity granularity,
                                             Instant from, Instant to) override;
  Result<int> prune_usage(UsageGranularity granularity, Instant before) override;

 private:
  Database& db_;
};

}  // namespace latchkey::pg
