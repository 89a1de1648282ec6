// SqliteSigningKeyStore: SigningKeyStore (see signing_key_store.h) on the shared SQLite Database.
#pragma once

#include "store/signing_key_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteSigningKeyStore final : public SigningKeyStore {
 public:
  explicit SqliteSigningKeyStore(Database& db) : db_(db) {}

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
