#include "store/sqlite/user_rows.h"

#include <map>
#include <string>
#include <utility>

#include "store/sqlite/origin_rows.h"

namespace latchkey::sqlite {
namespace {

// Every user query selects these columns, in this order (see read_user).
#define LATCHKEY_USER_COLUMNS                                                    \
  "SELECT id, name, type, disabled, api_access, created_at, updated_at, owner, " \
  "contact, description, expires_at IS NOT NULL, COALESCE(expires_at, 0) FROM users "
constexpr std::string_view kSelectUserById = LATCHKEY_USER_COLUMNS "WHERE id = ?";
constexpr std::string_view kSelectUserByName = LATCHKEY_USER_COLUMNS "WHERE name = ?";
constexpr std::string_view kSelectUsers = LATCHKEY_USER_COLUMNS "ORDER BY created_at, rowid";
constexpr std::string_view kSelectExpiredServiceAccounts = LATCHKEY_USER_COLUMNS
    "WHERE type = 'service' AND disabled = 0 AND expires_at IS NOT NULL AND expires_at <= ? "
    "ORDER BY created_at, rowid";
#undef LATCHKEY_USER_COLUMNS

Result<User> read_user(const Statement& row) {
  User user;
  user.id = row.text_at(0);
  user.name = row.text_at(1);
  const auto type = parse_user_type(row.text_at(2));
  if (!type) return fail(Error::internal("store: corrupt row: unknown user type"));
  user.type = *type;
  user.disabled = row.bool_at(3);
  user.api_access = row.bool_at(4);
  user.created_at = row.instant_at(5);
  user.updated_at = row.instant_at(6);
  user.owner = row.text_at(7);
  user.contact = row.text_at(8);
  user.description = row.text_at(9);
  if (row.bool_at(10)) user.expires_at = row.instant_at(11);
  return user;
}

Result<std::vector<std::string>> select_modules(Connection& connection, std::string_view user_id) {
  auto statement =
      connection.prepare("SELECT module FROM user_modules WHERE user_id = ? ORDER BY module");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, user_id);
  std::vector<std::string> modules;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return modules;
    modules.push_back(statement->text_at(0));
  }
}

// The one user selected by `sql` (one of the queries above, with one text
// parameter), with its modules.
Result<std::optional<User>> select_one_user(Connection& connection, std::string_view sql,
                                            std::string_view key) {
  std::optional<User> user;
  {
    auto statement = connection.prepare(sql);
    if (!statement) return fail(statement.error());
    statement->bind_text(1, key);
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<User>();
    auto read = read_user(*statement);
    if (!read) return fail(read.error());
    user = std::move(*read);
  }
  auto modules = select_modules(connection, user->id);
  if (!modules) return fail(modules.error());
  user->modules = std::move(*modules);
  auto origins = select_allowed_origins(connection, OriginOwner::kUser, user->id);
  if (!origins) return fail(origins.error());
  user->allowed_origins = std::move(*origins);
  return user;
}

// The users selected by `sql` (with `at` as its one parameter, if set),
// with their modules.
Result<std::vector<User>> select_user_list(Connection& connection, std::string_view sql,
                                           std::optional<Instant> at) {
  std::vector<User> users;
  {
    auto statement = connection.prepare(sql);
    if (!statement) return fail(statement.error());
    if (at) statement->bind_instant(1, *at);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      auto user = read_user(*statement);
      if (!user) return fail(user.error());
      users.push_back(std::move(*user));
    }
  }
  std::map<std::string, std::vector<std::string>, std::less<>> modules;
  {
    auto statement =
        connection.prepare("SELECT user_id, module FROM user_modules ORDER BY user_id, module");
    if (!statement) return fail(statement.error());
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      modules[statement->text_at(0)].push_back(statement->text_at(1));
    }
  }
  for (User& user : users) {
    if (auto it = modules.find(user.id); it != modules.end()) user.modules = std::move(it->second);
  }
  auto origins = select_all_allowed_origins(connection, OriginOwner::kUser);
  if (!origins) return fail(origins.error());
  for (User& user : users) {
    if (auto it = origins->find(user.id); it != origins->end()) {
      user.allowed_origins = std::move(it->second);
    }
  }
  return users;
}

}  // namespace

Status insert_user(Connection& connection, const NewUser& user) {
  {
    auto statement = connection.prepare(
        "INSERT INTO users (id, name, type, disabled, api_access, created_at, updated_at, owner, "
        "contact, description, expires_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, user.id)
        .bind_text(2, user.name)
        .bind_text(3, to_string(user.type))
        .bind_bool(4, user.api_access)
        .bind_instant(5, user.created_at)
        .bind_instant(6, user.created_at)
        .bind_text(7, user.owner)
        .bind_text(8, user.contact)
        .bind_text(9, user.description);
    if (user.expires_at) {
      statement->bind_instant(10, *user.expires_at);
    } else {
      statement->bind_null(10);
    }
    if (auto s = statement->run(); !s) return s;
  }
  for (const std::string& module : user.modules) {
    auto statement =
        connection.prepare("INSERT OR IGNORE INTO user_modules (user_id, module) VALUES (?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, user.id).bind_text(2, module);
    if (auto s = statement->run(); !s) return s;
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
  auto statement = connection.prepare(
      "UPDATE users SET disabled = 1, updated_at = ? WHERE id = ? AND type = 'service' AND "
      "disabled = 0 AND expires_at IS NOT NULL AND expires_at <= ?");
  if (!statement) return fail(statement.error());
  statement->bind_instant(1, now).bind_text(2, id).bind_instant(3, now);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes() > 0;
}

Result<std::int64_t> count_users(Connection& connection) {
  auto statement = connection.prepare("SELECT COUNT(*) FROM users");
  if (!statement) return fail(statement.error());
  auto row = statement->step();
  if (!row) return fail(row.error());
  return statement->int_at(0);
}

Result<std::optional<bool>> select_user_disabled(Connection& connection, std::string_view id) {
  auto statement = connection.prepare("SELECT disabled FROM users WHERE id = ?");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, id);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<bool>();
  return std::optional<bool>(statement->bool_at(0));
}

Result<bool> update_user_row(Connection& connection, std::string_view id, const UserUpdate& update,
                             Instant now) {
  auto statement = connection.prepare(
      "UPDATE users SET disabled = COALESCE(?, disabled), api_access = COALESCE(?, api_access), "
      "updated_at = ?, owner = COALESCE(?, owner), contact = COALESCE(?, contact), "
      "description = COALESCE(?, description), "
      "expires_at = CASE WHEN ? THEN ? ELSE expires_at END WHERE id = ?");
  if (!statement) return fail(statement.error());
  if (update.disabled) {
    statement->bind_bool(1, *update.disabled);
  } else {
    statement->bind_null(1);
  }
  if (update.api_access) {
    statement->bind_bool(2, *update.api_access);
  } else {
    statement->bind_null(2);
  }
  statement->bind_instant(3, now);
  const auto text_or_null = [&](int index, const std::optional<std::string>& value) {
    if (value) {
      statement->bind_text(index, *value);
    } else {
      statement->bind_null(index);
    }
  };
  text_or_null(4, update.owner);
  text_or_null(5, update.contact);
  text_or_null(6, update.description);
  statement->bind_bool(7, update.expires_at.has_value());
  if (update.expires_at && *update.expires_at) {
    statement->bind_instant(8, **update.expires_at);
  } else {
    statement->bind_null(8);
  }
  statement->bind_text(9, id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes() > 0;
}

}  // namespace latchkey::sqlite
