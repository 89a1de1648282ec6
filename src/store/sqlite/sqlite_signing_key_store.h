// SqliteSigningKeyStore: SigningKeyStore (see signing_key_store.h) on the shared SQLite Database.
#pragma once

#include "store/signing_key_store.h"
#include "store/sqlite/database.h"

namespace latchkey::sqlite {

class SqliteSigningKeyStore final : public SigningKeyStore {
 public:
  explicit SqliteSigningKeyStore(Database& db) : db_(db) {}

  Result<std::vector<SigningKeyRecord>> list_signing_keys() override;
  Result<bool> rotate_signing_key(const SigningKeyRecord& next, Instant now, Instant verify_until,
                                  std::optional<Instant> only_if_current_older_than) override;
  Result<int> prune_signing_keys(Instant now) override;

 private:
  Database& db_;
};

}  // namespace latchkey::sqlite
