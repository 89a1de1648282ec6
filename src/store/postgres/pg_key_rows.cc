#include "store/postgres/pg_key_rows.h"

#include <string>
#include <utility>

#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_origin_rows.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

// Every key query selects these columns, in this order (see key_at).
#define LATCHKEY_PG_KEY_COLUMNS                                                        \
  "SELECT k.id, k.user_id, k.name, k.role_id, k.read_only, k.digest, k.masked, "       \
  "k.created_at, k.expires_at, k.deactivated_at, k.deactivated_by, k.last_used_at, "   \
  "k.rate_limit_per_minute, k.concurrency_per_route, k.replaced_by, k.rerolled_from, " \
  "k.lapses_at, COALESCE(o.cidrs, '') FROM api_keys k "                                \
  "LEFT JOIN key_allowed_origins o ON o.key_id = k.id "

constexpr std::string_view kSelectById = LATCHKEY_PG_KEY_COLUMNS "WHERE k.id = $1";
// FOR UPDATE OF k: the key's row only; the outer join's side is not locked
// (and cannot be, it may be absent).
constexpr std::string_view kSelectByIdLocked =
    LATCHKEY_PG_KEY_COLUMNS "WHERE k.id = $1 FOR UPDATE OF k";
constexpr std::string_view kSelectByDigest = LATCHKEY_PG_KEY_COLUMNS "WHERE k.digest = $1";
constexpr std::string_view kSelectOfUser =
    LATCHKEY_PG_KEY_COLUMNS "WHERE k.user_id = $1 ORDER BY k.created_at, k.seq";
constexpr std::string_view kSelectAll = LATCHKEY_PG_KEY_COLUMNS "ORDER BY k.created_at, k.seq";

#undef LATCHKEY_PG_KEY_COLUMNS

constexpr std::string_view kInsert =
    "INSERT INTO api_keys (id, user_id, name, role_id, read_only, digest, masked, created_at, "
    "expires_at, rate_limit_per_minute, concurrency_per_route, rerolled_from) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

// key_allowed_origins.cidrs: the blocks comma-separated (pg_origin_rows.cc).
std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    items.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

Param optional_int(const std::optional<int>& value) { return value ? integer(*value) : null(); }

ApiKey key_at(const Rows& rows, int r) {
  ApiKey key;
  key.id = text_at(rows, r, 0);
  key.user_id = text_at(rows, r, 1);
  key.name = text_at(rows, r, 2);
  key.role_id = text_at(rows, r, 3);
  key.read_only = bool_at(rows, r, 4);
  key.digest = digest_at(rows, r, 5);
  key.masked = text_at(rows, r, 6);
  key.created_at = instant_at(rows, r, 7);
  key.expires_at = instant_at(rows, r, 8);
  key.deactivated_at = optional_instant_at(rows, r, 9);
  if (key.deactivated_at) key.status = KeyStatus::kInactive;
  key.deactivated_by = text_at(rows, r, 10);
  key.last_used_at = optional_instant_at(rows, r, 11);
  if (auto n = optional_int_at(rows, r, 12)) key.limits.requests_per_minute = static_cast<int>(*n);
  if (auto n = optional_int_at(rows, r, 13)) key.limits.concurrent_per_route = static_cast<int>(*n);
  key.replaced_by = text_at(rows, r, 14);
  key.rerolled_from = text_at(rows, r, 15);
  key.lapses_at = optional_instant_at(rows, r, 16);
  key.allowed_origins = split(rows.text(r, 17));
  return key;
}

Result<std::optional<ApiKey>> select_one(Connection& connection, std::string_view sql,
                                         const Param& param) {
  auto rows = connection.exec(sql, {param});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<ApiKey>();
  return std::optional<ApiKey>(key_at(*rows, 0));
}

}  // namespace

Status insert_key_row(Connection& connection, const ApiKey& key) {
  auto inserted = connection.exec(
      kInsert,
      {text(key.id), text(key.user_id), text(key.name), text(key.role_id), boolean(key.read_only),
       digest(key.digest), text(key.masked), instant(key.created_at), instant(key.expires_at),
       optional_int(key.limits.requests_per_minute), optional_int(key.limits.concurrent_per_route),
       text(key.rerolled_from)});
  if (!inserted) {
    if (connection.sqlstate() == kUniqueViolation) {
      return fail(Error::conflict("an API key with this id or digest already exists"));
    }
    if (connection.sqlstate() == kForeignKeyViolation) {
      return fail(Error::not_found("no user with the given id"));
    }
    return fail(inserted.error());
  }
  return replace_allowed_origins(connection, OriginOwner::kKey, key.id, key.allowed_origins);
}

Result<std::optional<ApiKey>> select_key(Connection& connection, std::string_view id, bool lock) {
  return select_one(connection, lock ? kSelectByIdLocked : kSelectById, text(id));
}

Result<std::optional<ApiKey>> select_key_by_digest(Connection& connection, const Digest& d) {
  return select_one(connection, kSelectByDigest, digest(d));
}

Result<std::vector<ApiKey>> select_keys(Connection& connection,
                                        std::optional<std::string_view> user_id) {
  auto rows =
      user_id ? connection.exec(kSelectOfUser, {text(*user_id)}) : connection.exec(kSelectAll);
  if (!rows) return fail(rows.error());
  std::vector<ApiKey> keys;
  keys.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) keys.push_back(key_at(*rows, r));
  return keys;
}

}  // namespace latchkey::pg
