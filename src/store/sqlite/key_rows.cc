#include "store/sqlite/key_rows.h"

#include <string>
#include <utility>

#include "store/sqlite/origin_rows.h"

namespace latchkey::sqlite {
namespace {

// Every key query selects these columns, in this order (see read_key).
#define LATCHKEY_KEY_COLUMNS                                                               \
  "SELECT id, user_id, name, role_id, read_only, digest, masked, created_at, expires_at, " \
  "deactivated_at IS NOT NULL, COALESCE(deactivated_at, 0), deactivated_by, "              \
  "last_used_at IS NOT NULL, COALESCE(last_used_at, 0), "                                  \
  "rate_limit_per_minute IS NOT NULL, COALESCE(rate_limit_per_minute, 0), "                \
  "concurrency_per_route IS NOT NULL, COALESCE(concurrency_per_route, 0), "                \
  "replaced_by, rerolled_from, lapses_at IS NOT NULL, COALESCE(lapses_at, 0) FROM api_keys "

constexpr std::string_view kSelectKeyById = LATCHKEY_KEY_COLUMNS "WHERE id = ?";
constexpr std::string_view kSelectKeyByDigest = LATCHKEY_KEY_COLUMNS "WHERE digest = ?";
constexpr std::string_view kSelectKeysOfUser =
    LATCHKEY_KEY_COLUMNS "WHERE user_id = ? ORDER BY created_at, rowid";
constexpr std::string_view kSelectAllKeys = LATCHKEY_KEY_COLUMNS "ORDER BY created_at, rowid";

#undef LATCHKEY_KEY_COLUMNS

Result<ApiKey> read_key(const Statement& row) {
  ApiKey key;
  key.id = row.text_at(0);
  key.user_id = row.text_at(1);
  key.name = row.text_at(2);
  key.role_id = row.text_at(3);
  key.read_only = row.bool_at(4);
  auto digest = row.digest_at(5);
  if (!digest) return fail(digest.error());
  key.digest = *digest;
  key.masked = row.text_at(6);
  key.created_at = row.instant_at(7);
  key.expires_at = row.instant_at(8);
  if (row.bool_at(9)) {
    key.deactivated_at = row.instant_at(10);
    key.status = KeyStatus::kInactive;
  }
  key.deactivated_by = row.text_at(11);
  if (row.bool_at(12)) key.last_used_at = row.instant_at(13);
  if (row.bool_at(14)) key.limits.requests_per_minute = static_cast<int>(row.int_at(15));
  if (row.bool_at(16)) key.limits.concurrent_per_route = static_cast<int>(row.int_at(17));
  key.replaced_by = row.text_at(18);
  key.rerolled_from = row.text_at(19);
  if (row.bool_at(20)) key.lapses_at = row.instant_at(21);
  return key;
}

Result<std::optional<ApiKey>> select_one(Connection& connection, std::string_view sql,
                                         auto&& bind) {
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  bind(*statement);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<ApiKey>();
  auto key = read_key(*statement);
  if (!key) return fail(key.error());
  auto origins = select_allowed_origins(connection, OriginOwner::kKey, key->id);
  if (!origins) return fail(origins.error());
  key->allowed_origins = std::move(*origins);
  return std::optional<ApiKey>(std::move(*key));
}

}  // namespace

Status insert_key_row(Connection& connection, const ApiKey& key) {
  auto statement = connection.prepare(
      "INSERT INTO api_keys (id, user_id, name, role_id, read_only, digest, masked, created_at, "
      "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, key.id)
      .bind_text(2, key.user_id)
      .bind_text(3, key.name)
      .bind_text(4, key.role_id)
      .bind_bool(5, key.read_only)
      .bind_digest(6, key.digest)
      .bind_text(7, key.masked)
      .bind_instant(8, key.created_at)
      .bind_instant(9, key.expires_at);
  if (auto s = statement->run(); !s) return s;
  return replace_allowed_origins(connection, OriginOwner::kKey, key.id, key.allowed_origins);
}

Result<std::optional<ApiKey>> select_key(Connection& connection, std::string_view id) {
  return select_one(connection, kSelectKeyById, [&](Statement& s) { s.bind_text(1, id); });
}

Result<std::optional<ApiKey>> select_key_by_digest(Connection& connection, const Digest& digest) {
  return select_one(connection, kSelectKeyByDigest,
                    [&](Statement& s) { s.bind_digest(1, digest); });
}

Result<std::vector<ApiKey>> select_keys(Connection& connection,
                                        std::optional<std::string_view> user_id) {
  auto statement = connection.prepare(user_id ? kSelectKeysOfUser : kSelectAllKeys);
  if (!statement) return fail(statement.error());
  if (user_id) statement->bind_text(1, *user_id);
  std::vector<ApiKey> keys;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    auto key = read_key(*statement);
    if (!key) return fail(key.error());
    keys.push_back(std::move(*key));
  }
  auto origins = select_all_allowed_origins(connection, OriginOwner::kKey);
  if (!origins) return fail(origins.error());
  for (ApiKey& key : keys) {
    if (auto it = origins->find(key.id); it != origins->end()) {
      key.allowed_origins = std::move(it->second);
    }
  }
  return keys;
}

Result<int> deactivate_key_row(Connection& connection, std::string_view id, Instant at,
                               std::string_view by_user_id) {
  auto statement = connection.prepare(
      "UPDATE api_keys SET deactivated_at = ?, deactivated_by = ? "
      "WHERE id = ? AND deactivated_at IS NULL");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_text(2, by_user_id).bind_text(3, id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Result<int> update_key_limits(Connection& connection, std::string_view id,
                              const KeyLimitOverride& limits) {
  auto statement = connection.prepare(
      "UPDATE api_keys SET rate_limit_per_minute = ?, concurrency_per_route = ? WHERE id = ?");
  if (!statement) return fail(statement.error());
  auto bind_optional = [&](int index, const std::optional<int>& value) {
    if (value) {
      statement->bind_int(index, *value);
    } else {
      statement->bind_null(index);
    }
  };
  bind_optional(1, limits.requests_per_minute);
  bind_optional(2, limits.concurrent_per_route);
  statement->bind_text(3, id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Result<int> link_rerolled_key(Connection& connection, const ApiKey& new_key,
                              std::string_view old_id) {
  auto statement = connection.prepare(
      "UPDATE api_keys SET rerolled_from = ?, rate_limit_per_minute = ?, "
      "concurrency_per_route = ? WHERE id = ?");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, old_id);
  auto bind_optional = [&](int index, const std::optional<int>& value) {
    if (value) {
      statement->bind_int(index, *value);
    } else {
      statement->bind_null(index);
    }
  };
  bind_optional(2, new_key.limits.requests_per_minute);
  bind_optional(3, new_key.limits.concurrent_per_route);
  statement->bind_text(4, new_key.id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Result<int> mark_key_replaced(Connection& connection, std::string_view old_id,
                              std::string_view new_id, Instant lapses_at) {
  auto statement = connection.prepare(
      "UPDATE api_keys SET replaced_by = ?, lapses_at = ? WHERE id = ? AND replaced_by = ''");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, new_id).bind_instant(2, lapses_at).bind_text(3, old_id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Result<int> end_key_overlap(Connection& connection, std::string_view id,
                            std::string_view replaced_by, Instant at) {
  auto statement = connection.prepare(
      "UPDATE api_keys SET lapses_at = ? WHERE id = ? AND replaced_by = ? AND lapses_at > ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_text(2, id).bind_text(3, replaced_by).bind_instant(4, at);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

Result<int> update_key_last_used(Connection& connection, std::string_view id, Instant at) {
  auto statement = connection.prepare(
      "UPDATE api_keys SET last_used_at = ? "
      "WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, at).bind_text(2, id).bind_instant(3, at);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes();
}

}  // namespace latchkey::sqlite
