#include "store/sqlite/signing_key_rows.h"

namespace latchkey::sqlite {
namespace {

constexpr std::string_view kColumns = "kid, private_key_pem, created_at, retired_at, verify_until";

SigningKeyRecord key_at(const Statement& row) {
  SigningKeyRecord key;
  key.kid = row.text_at(0);
  key.private_key_pem = row.text_at(1);
  key.created_at = row.instant_at(2);
  if (const std::int64_t retired = row.int_at(3); retired != 0) {
    key.retired_at = from_unix_millis(retired);
  }
  if (const std::int64_t until = row.int_at(4); until != 0) {
    key.verify_until = from_unix_millis(until);
  }
  return key;
}

Result<std::vector<SigningKeyRecord>> collect(Statement& statement) {
  std::vector<SigningKeyRecord> out;
  for (;;) {
    auto row = statement.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(key_at(statement));
  }
  return out;
}

}  // namespace

Result<std::vector<SigningKeyRecord>> select_signing_keys(Connection& connection) {
  auto statement = connection.prepare("SELECT " + std::string(kColumns) +
                                      " FROM signing_keys ORDER BY created_at, kid");
  if (!statement) return fail(statement.error());
  return collect(*statement);
}

Result<std::optional<SigningKeyRecord>> select_current_signing_key(Connection& connection) {
  auto statement = connection.prepare(
      "SELECT " + std::string(kColumns) +
      " FROM signing_keys WHERE retired_at = 0 ORDER BY created_at DESC, kid DESC LIMIT 1");
  if (!statement) return fail(statement.error());
  auto keys = collect(*statement);
  if (!keys) return fail(keys.error());
  if (keys->empty()) return std::optional<SigningKeyRecord>();
  return std::optional<SigningKeyRecord>(std::move(keys->front()));
}

Result<int> retire_signing_keys(Connection& connection, Instant at, Instant verify_until) {
  auto statement = connection.prepare(
      "UPDATE signing_keys SET retired_at = ?, verify_until = ? WHERE retired_at = 0");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_instant(2, verify_until);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Status insert_signing_key(Connection& connection, const SigningKeyRecord& key) {
  auto statement = connection.prepare(
      "INSERT INTO signing_keys (kid, private_key_pem, created_at, retired_at, verify_until) "
      "VALUES (?, ?, ?, ?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, key.kid)
      .bind_text(2, key.private_key_pem)
      .bind_instant(3, key.created_at)
      .bind_int(4, key.retired_at ? to_unix_millis(*key.retired_at) : 0)
      .bind_int(5, key.verify_until ? to_unix_millis(*key.verify_until) : 0);
  return statement->run();
}

Result<int> delete_signing_keys_unusable_at(Connection& connection, Instant now) {
  auto statement =
      connection.prepare("DELETE FROM signing_keys WHERE retired_at != 0 AND verify_until < ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, now);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

}  // namespace latchkey::sqlite
