#include "store/sqlite/user_rows.h"

#include <map>
#include <string>
#include <utility>

#include "store/sqlite/origin_rows.h"

namespace latchkey::sqlite {
namespace {

// Every user query selects these columns, in this order (see read_user).
constexpr std::string_view kSelectUserById =
    "SELECT id, name, type, disabled, api_access, created_at, updated_at FROM users WHERE id = ?";
constexpr std::string_view kSelectUserByName =
    "SELECT id, name, type, disabled, api_access, created_at, updated_at FROM users "
    "WHERE name = ?";
constexpr std::string_view kSelectUsers =
    "SELECT id, name, type, disabled, api_access, created_at, updated_at FROM users "
    "ORDER BY created_at, rowid";

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

}  // namespace

Status insert_user(Connection& connection, const NewUser& user) {
  {
    auto statement = connection.prepare(
        "INSERT INTO users (id, name, type, disabled, api_access, created_at, updated_at) "
        "VALUES (?, ?, ?, 0, ?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, user.id)
        .bind_text(2, user.name)
        .bind_text(3, to_string(user.type))
        .bind_bool(4, user.api_access)
        .bind_instant(5, user.created_at)
        .bind_instant(6, user.created_at);
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
  std::vector<User> users;
  {
    auto statement = connection.prepare(kSelectUsers);
    if (!statement) return fail(statement.error());
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
      "updated_at = ? WHERE id = ?");
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
  statement->bind_instant(3, now).bind_text(4, id);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes() > 0;
}

}  // namespace latchkey::sqlite
