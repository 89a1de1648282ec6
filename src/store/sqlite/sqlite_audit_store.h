// SqliteAuditStore: AuditStore (see audit_store.h) on the shared SQLite
// Database: one table, audit_events (migration 3, 8), indexed by time and by
// principal + time. A batch is one write job, so one transaction.
#pragma once

#include "store/audit_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteAuditStore final : public AuditStore {
 public:
  explicit SqliteAuditStore(Database& db) : db_(db) {}

  Status append(std::span<const AuditEvent> events) override;
  Result<AuditPage> query(const AuditQuery& query) override;
  Result<std::vector<AuditClient>> clients_of(std::string_view principal_id, Instant from,
                                              Instant to) override;
  Result<std::vector<AuditActionUse>> action_usage(Instant from, Instant to) override;
  Result<std::int64_t> prune(Instant before) override;

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
