// SqliteSessionStore: SessionStore (see session_store.h) on the shared SQLite Database.
#pragma once

#include "store/session_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(Database& db) : db_(db) {}

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
