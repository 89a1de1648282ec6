// SqliteAuditStore: AuditStore (see audit_store.h) on the shared SQLite Database.
#pragma once

#include "store/audit_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteAuditStore final : public AuditStore {
 public:
  explicit SqliteAuditStore(Database& db) : db_(db) {}

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
