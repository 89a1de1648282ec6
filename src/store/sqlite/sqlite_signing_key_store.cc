#include "store/sqlite/sqlite_signing_key_store.h"

#include "store/sqlite/signing_key_rows.h"

namespace latchkey::sqlite {

Result<std::vector<SigningKeyRecord>> SqliteSigningKeyStore::list_signing_keys() {
  return db_.read([](Connection& connection) { return select_signing_keys(connection); });
}

Result<bool> SqliteSigningKeyStore::rotate_signing_key(
    const SigningKeyRecord& next, Instant now, Instant verify_until,
    std::optional<Instant> only_if_current_older_than) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (only_if_current_older_than) {
      auto current = select_current_signing_key(connection);
      if (!current) return fail(current.error());
      if (*current && (*current)->created_at >= *only_if_current_older_than) return false;
    }
    if (auto retired = retire_signing_keys(connection, now, verify_until); !retired) {
      return fail(retired.error());
    }
    SigningKeyRecord fresh = next;
    fresh.retired_at.reset();
    fresh.verify_until.reset();
    if (auto inserted = insert_signing_key(connection, fresh); !inserted) {
      return fail(inserted.error());
    }
    return true;
  });
}

Result<int> SqliteSigningKeyStore::prune_signing_keys(Instant now) {
  return db_.write(
      [&](Connection& connection) { return delete_signing_keys_unusable_at(connection, now); });
}

}  // namespace latchkey::sqlite
