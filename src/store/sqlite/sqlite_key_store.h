// SqliteKeyStore: KeyStore (see key_store.h) on the shared SQLite Database.
#pragma once

#include "store/key_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteKeyStore final : public KeyStore {
 public:
  explicit SqliteKeyStore(Database& db) : db_(db) {}

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
