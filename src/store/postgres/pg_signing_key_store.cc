// SigningKeyStore on PostgreSQL (signing_key_store.h). Rotation is
// serialized across nodes by a transaction-scoped advisory lock, so that
// concurrent automatic rotations on several nodes rotate exactly once.
#include <string>

#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_values.h"
#include "store/signing_key_store.h"

namespace latchkey::pg {
namespace {

// "lk-sign" in ASCII: the lock every node takes to rotate.
constexpr std::int64_t kRotationLock = 0x6c6b2d7369676e;

constexpr std::string_view kSelect =
    "SELECT kid, private_key_pem, created_at, retired_at, verify_until FROM signing_keys ";

std::vector<SigningKeyRecord> keys_of(const Rows& rows) {
  std::vector<SigningKeyRecord> out;
  for (int i = 0; i < rows.size(); ++i) {
    SigningKeyRecord key;
    key.kid = text_at(rows, i, 0);
    key.private_key_pem = text_at(rows, i, 1);
    key.created_at = instant_at(rows, i, 2);
    // 0 = not set, as in SQLite.
    if (const std::int64_t retired = int_at(rows, i, 3); retired != 0) {
      key.retired_at = from_unix_millis(retired);
    }
    if (const std::int64_t until = int_at(rows, i, 4); until != 0) {
      key.verify_until = from_unix_millis(until);
    }
    out.push_back(std::move(key));
  }
  return out;
}

class PgSigningKeyStore final : public SigningKeyStore {
 public:
  explicit PgSigningKeyStore(Database& db) : db_(db) {}

  Result<std::vector<SigningKeyRecord>> list_signing_keys() override {
    return db_.read([](Connection& c) -> Result<std::vector<SigningKeyRecord>> {
      auto rows = c.exec(std::string(kSelect) + "ORDER BY created_at, kid");
      if (!rows) return fail(rows.error());
      return keys_of(*rows);
    });
  }

  Result<bool> rotate_signing_key(const SigningKeyRecord& next, Instant now, Instant verify_until,
                                  std::optional<Instant> only_if_current_older_than) override {
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto locked =
              c.exec("SELECT pg_advisory_xact_lock($1::bigint)", {integer(kRotationLock)});
          !locked) {
        return fail(locked.error());
      }
      if (only_if_current_older_than) {
        auto rows = c.exec(std::string(kSelect) +
                           "WHERE retired_at = 0 ORDER BY created_at DESC, kid DESC LIMIT 1");
        if (!rows) return fail(rows.error());
        const auto current = keys_of(*rows);
        if (!current.empty() && current.front().created_at >= *only_if_current_older_than) {
          return false;
        }
      }
      auto retired = c.exec(
          "UPDATE signing_keys SET retired_at = $1::bigint, verify_until = $2::bigint"
          " WHERE retired_at = 0",
          {instant(now), instant(verify_until)});
      if (!retired) return fail(retired.error());
      auto inserted = c.exec(
          "INSERT INTO signing_keys (kid, private_key_pem, created_at, retired_at, verify_until)"
          " VALUES ($1, $2, $3::bigint, 0, 0)",
          {text(next.kid), text(next.private_key_pem), instant(next.created_at)});
      if (!inserted) {
        if (inserted.error().code == ErrorCode::kConflict) {
          return fail(Error::conflict("a signing key with that kid already exists"));
        }
        return fail(inserted.error());
      }
      return true;
    });
  }

  Result<int> prune_signing_keys(Instant now) override {
    return db_.write([&](Connection& c) -> Result<int> {
      auto deleted =
          c.exec("DELETE FROM signing_keys WHERE retired_at <> 0 AND verify_until < $1::bigint",
                 {instant(now)});
      if (!deleted) return fail(deleted.error());
      return static_cast<int>(deleted->affected());
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<SigningKeyStore> make_pg_signing_key_store(Database& db) {
  return std::make_unique<PgSigningKeyStore>(db);
}

}  // namespace latchkey::pg
