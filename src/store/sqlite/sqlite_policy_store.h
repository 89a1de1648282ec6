// SqlitePolicyStore: PolicyStore (see policy_store.h) on the shared SQLite Database.
#pragma once

#include "store/policy_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqlitePolicyStore final : public PolicyStore {
 public:
  explicit SqlitePolicyStore(Database& db) : db_(db) {}

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
