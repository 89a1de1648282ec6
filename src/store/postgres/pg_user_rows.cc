#include "store/postgres/pg_user_rows.h"

#include <map>
#include <string>
#include <utility>

#include "store/postgres/pg_origin_rows.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

// Every user query selects these columns, in this order (see read_user).
#define LATCHKEY_USER_COLUMNS                                                    \
  "SELECT id, name, type, disabled, api_access, created_at, updated_at, owner, " \
  "contact, description, expires_at FROM users "
constexpr std::string_view kSelectUserById = LATCHKEY_USER_COLUMNS "WHERE id = $1";
constexpr std::string_view kSelectUserByName = LATCHKEY_USER_COLUMNS "WHERE name = $1";
constexpr std::string_view kSelectUsers = LATCHKEY_USER_COLUMNS "ORDER BY created_at, seq";
constexpr std::string_view kSelectExpiredServiceAccounts = LATCHKEY_USER_COLUMNS
    "WHERE type = 'service' AND NOT disabled AND expires_at IS NOT NULL "
    "AND expires_at <= $1::bigint ORDER BY created_at, seq";
#undef LATCHKEY_USER_COLUMNS

Result<User> read_user(const Rows& rows, int i) {
  User user;
  user.id = text_at(rows, i, 0);
  user.name = text_at(rows, i, 1);
  const auto type = parse_user_type(rows.text(i, 2));
  if (!type) return fail(Error::internal("store: corrupt row: unknown user type"));
  user.type = *type;
  user.disabled = bool_at(rows, i, 3);
  user.api_access = bool_at(rows, i, 4);
  user.created_at = instant_at(rows, i, 5);
  user.updated_at = instant_at(rows, i, 6);
  user.owner = text_at(rows, i, 7);
  user.contact = text_at(rows, i, 8);
  user.description = text_at(rows, i, 9);
  user.expires_at = optional_instant_at(rows, i, 10);
  return user;
}

Result<std::optional<User>> select_one_user(Connection& connection, std::string_view sql,
                                            std::string_view key) {
  auto rows = connection.exec(sql, {text(key)});
  if (!rows && connection.refused_text()) return std::optional<User>();  // names no row
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<User>();
  auto user = read_user(*rows, 0);
  if (!user) return fail(user.error());
  auto modules = connection.exec(
      "SELECT module FROM user_modules WHERE user_id = $1 ORDER BY module COLLATE \"C\"",
      {text(user->id)});
  if (!modules) return fail(modules.error());
  for (int i = 0; i < modules->size(); ++i) user->modules.push_back(text_at(*modules, i, 0));
  auto origins = select_allowed_origins(connection, OriginOwner::kUser, user->id);
  if (!origins) return fail(origins.error());
  user->allowed_origins = std::move(*origins);
  return std::optional<User>(std::move(*user));
}

Result<std::vector<User>> select_user_list(Connection& connection, std::string_view sql,
                                           std::optional<Instant> at) {
  auto rows = at ? connection.exec(sql, {instant(*at)}) : connection.exec(sql);
  if (!rows) return fail(rows.error());
  std::vector<User> users;
  for (int i = 0; i < rows->size(); ++i) {
    auto user = read_user(*rows, i);
    if (!user) return fail(user.error());
    users.push_back(std::move(*user));
  }
  auto modules = connection.exec(
      "SELECT user_id, module FROM user_modules ORDER BY user_id, module COLLATE \"C\"");
  if (!modules) return fail(modules.error());
  std::map<std::string, std::vector<std::string>, std::less<>> by_user;
  for (int i = 0; i < modules->size(); ++i) {
    by_user[text_at(*modules, i, 0)].push_back(text_at(*modules, i, 1));
  }
  auto origins = select_all_allowed_origins(connection, OriginOwner::kUser);
  if (!origins) return fail(origins.error());
  for (User& user : users) {
    if (auto it = by_user.find(user.id); it != by_user.end()) user.modules = std::move(it->second);
    if (auto it = origins->find(user.id); it != origins->end()) {
      user.allowed_origins = std::move(it->second);
    }
  }
  return users;
}

}  // namespace

Status insert_user(Connection& connection, const NewUser& user) {
  auto inserted = connection.exec(
      "INSERT INTO users (id, name, type, disabled, api_access, created_at, updated_at, owner,"
      " contact, description, expires_at)"
      " VALUES ($1, $2, $3, FALSE, $4::boolean, $5::bigint, $5::bigint, $6, $7, $8, $9::bigint)",
      {text(user.id), text(user.name), text(to_string(user.type)), boolean(user.api_access),
       instant(user.created_at), text(user.owner), text(user.contact), text(user.description),
       optional_instant(user.expires_at)});
  if (!inserted) return fail(inserted.error());
  for (const std::string& module : user.modules) {
    auto added = connection.exec(
        "INSERT INTO user_modules (user_id, module) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        {text(user.id), text(module)});
    if (!added) return fail(added.error());
  }
  return {};
}

Result<std::optional<User>> select_user(Connection& connection, std::string_view id) {
  return select_one_user(connection, kSelectUserById, id);
}

Result<std::optional<User>> select_user_by_name(Connection& connection, std::string_view name) {
  return select_one_user(connection, kSelectUserByName, name);
}

Result<std::vector<User>> select_users(Connection& connection) {
  return select_user_list(connection, kSelectUsers, std::nullopt);
}

Result<std::vector<User>> select_expired_service_accounts(Connection& connection, Instant now) {
  return select_user_list(connection, kSelectExpiredServiceAccounts, now);
}

Result<bool> disable_if_expired_row(Connection& connection, std::string_view id, Instant now) {
  auto updated = connection.exec(
      "UPDATE users SET disabled = TRUE, updated_at = $1::bigint WHERE id = $2 AND"
      " type = 'service' AND NOT disabled AND expires_at IS NOT NULL AND expires_at <= $1::bigint",
      {instant(now), text(id)});
  if (!updated) return fail(updated.error());
  return updated->affected() > 0;
}

Result<bool> any_user(Connection& connection) {
  auto rows = connection.exec("SELECT EXISTS (SELECT 1 FROM users)");
  if (!rows) return fail(rows.error());
  return bool_at(*rows, 0, 0);
}

Result<std::optional<bool>> lock_user(Connection& connection, std::string_view id) {
  auto rows = connection.exec("SELECT disabled FROM users WHERE id = $1 FOR UPDATE", {text(id)});
  if (!rows && connection.refused_text()) return std::optional<bool>();  // names no user
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<bool>();
  return std::optional<bool>(bool_at(*rows, 0, 0));
}

Result<bool> update_user_row(Connection& connection, std::string_view id, const UserUpdate& update,
                             Instant now) {
  const auto optional_text = [](const std::optional<std::string>& value) {
    return value ? text(*value) : null();
  };
  const auto optional_bool = [](const std::optional<bool>& value) {
    return value ? boolean(*value) : null();
  };
  auto updated = connection.exec(
      "UPDATE users SET disabled = COALESCE($1::boolean, disabled),"
      " api_access = COALESCE($2::boolean, api_access), updated_at = $3::bigint,"
      " owner = COALESCE($4, owner), contact = COALESCE($5, contact),"
      " description = COALESCE($6, description),"
      " expires_at = CASE WHEN $7::boolean THEN $8::bigint ELSE expires_at END WHERE id = $9",
      {optional_bool(update.disabled), optional_bool(update.api_access), instant(now),
       optional_text(update.owner), optional_text(update.contact),
       optional_text(update.description), boolean(update.expires_at.has_value()),
       update.expires_at ? optional_instant(*update.expires_at) : null(), text(id)});
  if (!updated) return fail(updated.error());
  return updated->affected() > 0;
}

}  // namespace latchkey::pg
