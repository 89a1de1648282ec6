#include "store/sqlite/policy_rows.h"

#include <map>
#include <utility>

namespace latchkey::sqlite {
namespace {

using policy::Access;

Result<Access> access_of(std::string_view text) {
  auto access = policy::parse_access(text);
  if (!access) return fail(Error::internal("store: corrupt row: unknown access level"));
  return *access;
}

// Runs `sql` with text parameters and collects column 0 of every row.
Result<std::vector<std::string>> select_texts(Connection& connection, std::string_view sql,
                                              std::initializer_list<std::string_view> params) {
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  int index = 1;
  for (std::string_view p : params) statement->bind_text(index++, p);
  std::vector<std::string> out;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return out;
    out.push_back(statement->text_at(0));
  }
}

// Runs a statement with text parameters; true when it changed a row.
Result<bool> change(Connection& connection, std::string_view sql,
                    std::initializer_list<std::string_view> params) {
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  int index = 1;
  for (std::string_view p : params) statement->bind_text(index++, p);
  if (auto s = statement->run(); !s) return fail(s.error());
  return connection.changes() > 0;
}

Result<std::vector<policy::Step>> select_steps(Connection& connection,
                                               std::string_view application_id) {
  auto statement = connection.prepare(
      "SELECT id, application_id, name, origin, created_at FROM steps WHERE application_id = ? "
      "ORDER BY created_at, rowid");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, application_id);
  std::vector<policy::Step> steps;
  for (;;) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) return steps;
    steps.push_back({statement->text_at(0), statement->text_at(1), statement->text_at(2),
                     statement->bool_at(3), statement->instant_at(4)});
  }
}

// Applications selected by `sql` (id, name, created_at), with their steps.
Result<std::vector<policy::Application>> select_applications_by(
    Connection& connection, std::string_view sql, std::optional<std::string_view> key) {
  std::vector<policy::Application> apps;
  {
    auto statement = connection.prepare(sql);
    if (!statement) return fail(statement.error());
    if (key) statement->bind_text(1, *key);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      policy::Application app;
      app.id = statement->text_at(0);
      app.name = statement->text_at(1);
      app.created_at = statement->instant_at(2);
      apps.push_back(std::move(app));
    }
  }
  for (policy::Application& app : apps) {
    auto steps = select_steps(connection, app.id);
    if (!steps) return fail(steps.error());
    app.steps = std::move(*steps);
  }
  return apps;
}

Result<std::vector<policy::StepPermissionSet>> select_sets_by(Connection& connection,
                                                              std::string_view sql,
                                                              std::optional<std::string_view> key) {
  std::vector<policy::StepPermissionSet> sets;
  {
    auto statement = connection.prepare(sql);
    if (!statement) return fail(statement.error());
    if (key) statement->bind_text(1, *key);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      policy::StepPermissionSet set;
      set.id = statement->text_at(0);
      set.name = statement->text_at(1);
      set.created_at = statement->instant_at(2);
      sets.push_back(std::move(set));
    }
  }
  for (policy::StepPermissionSet& set : sets) {
    auto statement = connection.prepare(
        "SELECT step_id, access FROM permission_set_steps WHERE set_id = ? ORDER BY step_id");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, set.id);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      auto access = access_of(statement->text_at(1));
      if (!access) return fail(access.error());
      set.steps[statement->text_at(0)] = *access;
    }
  }
  return sets;
}

Result<std::vector<policy::Role>> select_roles_by(Connection& connection, std::string_view sql,
                                                  std::optional<std::string_view> key) {
  std::vector<policy::Role> roles;
  {
    auto statement = connection.prepare(sql);
    if (!statement) return fail(statement.error());
    if (key) statement->bind_text(1, *key);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      policy::Role role;
      role.id = statement->text_at(0);
      role.name = statement->text_at(1);
      role.created_at = statement->instant_at(2);
      roles.push_back(std::move(role));
    }
  }
  for (policy::Role& role : roles) {
    auto modules = select_texts(
        connection, "SELECT module FROM role_modules WHERE role_id = ? ORDER BY module", {role.id});
    if (!modules) return fail(modules.error());
    role.modules = std::move(*modules);
    auto sets = select_texts(
        connection, "SELECT set_id FROM role_permission_sets WHERE role_id = ? ORDER BY set_id",
        {role.id});
    if (!sets) return fail(sets.error());
    role.permission_sets = std::move(*sets);
  }
  return roles;
}

template <class T>
std::optional<T> first_of(std::vector<T>& rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace

Result<bool> row_exists(Connection& connection, PolicyTable table, std::string_view id) {
  std::string_view sql;
  switch (table) {
    case PolicyTable::kUsers:
      sql = "SELECT 1 FROM users WHERE id = ?";
      break;
    case PolicyTable::kApplications:
      sql = "SELECT 1 FROM applications WHERE id = ?";
      break;
    case PolicyTable::kSteps:
      sql = "SELECT 1 FROM steps WHERE id = ?";
      break;
    case PolicyTable::kPermissionSets:
      sql = "SELECT 1 FROM permission_sets WHERE id = ?";
      break;
    case PolicyTable::kRoles:
      sql = "SELECT 1 FROM roles WHERE id = ?";
      break;
  }
  auto statement = connection.prepare(sql);
  if (!statement) return fail(statement.error());
  statement->bind_text(1, id);
  return statement->step();
}

Status insert_application_row(Connection& connection, const policy::Application& application) {
  auto statement =
      connection.prepare("INSERT INTO applications (id, name, created_at) VALUES (?, ?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, application.id)
      .bind_text(2, application.name)
      .bind_instant(3, application.created_at);
  return statement->run();
}

Status insert_step_row(Connection& connection, const policy::Step& step) {
  auto statement = connection.prepare(
      "INSERT INTO steps (id, application_id, name, origin, created_at) VALUES (?, ?, ?, ?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, step.id)
      .bind_text(2, step.application_id)
      .bind_text(3, step.name)
      .bind_bool(4, step.origin)
      .bind_instant(5, step.created_at);
  return statement->run();
}

Result<std::optional<policy::Application>> select_application(Connection& connection,
                                                              std::string_view id) {
  auto apps = select_applications_by(
      connection, "SELECT id, name, created_at FROM applications WHERE id = ?", id);
  if (!apps) return fail(apps.error());
  return first_of(*apps);
}

Result<std::optional<policy::Application>> select_application_by_name(Connection& connection,
                                                                      std::string_view name) {
  auto apps = select_applications_by(
      connection, "SELECT id, name, created_at FROM applications WHERE name = ?", name);
  if (!apps) return fail(apps.error());
  return first_of(*apps);
}

Result<std::vector<policy::Application>> select_applications(Connection& connection) {
  return select_applications_by(
      connection, "SELECT id, name, created_at FROM applications ORDER BY created_at, rowid",
      std::nullopt);
}

Result<bool> has_origin_step(Connection& connection, std::string_view application_id) {
  auto statement =
      connection.prepare("SELECT 1 FROM steps WHERE application_id = ? AND origin = 1");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, application_id);
  return statement->step();
}

Status insert_permission_set_rows(Connection& connection, const policy::StepPermissionSet& set) {
  {
    auto statement =
        connection.prepare("INSERT INTO permission_sets (id, name, created_at) VALUES (?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, set.id).bind_text(2, set.name).bind_instant(3, set.created_at);
    if (auto s = statement->run(); !s) return s;
  }
  for (const auto& [step, access] : set.steps) {
    auto statement = connection.prepare(
        "INSERT INTO permission_set_steps (set_id, step_id, access) VALUES (?, ?, ?)");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, set.id).bind_text(2, step).bind_text(3, policy::to_string(access));
    if (auto s = statement->run(); !s) return s;
  }
  return {};
}

Result<std::optional<policy::StepPermissionSet>> select_permission_set(Connection& connection,
                                                                       std::string_view id) {
  auto sets = select_sets_by(connection,
                             "SELECT id, name, created_at FROM permission_sets WHERE id = ?", id);
  if (!sets) return fail(sets.error());
  return first_of(*sets);
}

Result<std::optional<policy::StepPermissionSet>> select_permission_set_by_name(
    Connection& connection, std::string_view name) {
  auto sets = select_sets_by(
      connection, "SELECT id, name, created_at FROM permission_sets WHERE name = ?", name);
  if (!sets) return fail(sets.error());
  return first_of(*sets);
}

Result<std::vector<policy::StepPermissionSet>> select_permission_sets(Connection& connection) {
  return select_sets_by(
      connection, "SELECT id, name, created_at FROM permission_sets ORDER BY created_at, rowid",
      std::nullopt);
}

Result<bool> upsert_permission_set_step(Connection& connection, std::string_view set_id,
                                        std::string_view step_id, policy::Access access) {
  return change(connection,
                "INSERT INTO permission_set_steps (set_id, step_id, access) VALUES (?, ?, ?) "
                "ON CONFLICT (set_id, step_id) DO UPDATE SET access = excluded.access "
                "WHERE access <> excluded.access",
                {set_id, step_id, policy::to_string(access)});
}

Result<bool> delete_permission_set_step(Connection& connection, std::string_view set_id,
                                        std::string_view step_id) {
  return change(connection, "DELETE FROM permission_set_steps WHERE set_id = ? AND step_id = ?",
                {set_id, step_id});
}

Status insert_role_row(Connection& connection, const policy::Role& role) {
  auto statement = connection.prepare("INSERT INTO roles (id, name, created_at) VALUES (?, ?, ?)");
  if (!statement) return fail(statement.error());
  statement->bind_text(1, role.id).bind_text(2, role.name).bind_instant(3, role.created_at);
  return statement->run();
}

Result<std::optional<policy::Role>> select_role(Connection& connection, std::string_view id) {
  auto roles =
      select_roles_by(connection, "SELECT id, name, created_at FROM roles WHERE id = ?", id);
  if (!roles) return fail(roles.error());
  return first_of(*roles);
}

Result<std::optional<policy::Role>> select_role_by_name(Connection& connection,
                                                        std::string_view name) {
  auto roles =
      select_roles_by(connection, "SELECT id, name, created_at FROM roles WHERE name = ?", name);
  if (!roles) return fail(roles.error());
  return first_of(*roles);
}

Result<std::vector<policy::Role>> select_roles(Connection& connection) {
  return select_roles_by(connection,
                         "SELECT id, name, created_at FROM roles ORDER BY created_at, rowid",
                         std::nullopt);
}

Result<std::vector<policy::Role>> select_roles_of_user(Connection& connection,
                                                       std::string_view user_id) {
  return select_roles_by(connection,
                         "SELECT r.id, r.name, r.created_at FROM roles r JOIN role_members m "
                         "ON m.role_id = r.id WHERE m.user_id = ? ORDER BY r.name",
                         user_id);
}

Status delete_role_row(Connection& connection, std::string_view id) {
  auto changed = change(connection, "DELETE FROM roles WHERE id = ?", {id});
  if (!changed) return fail(changed.error());
  return {};
}

Result<bool> insert_role_module(Connection& connection, std::string_view role_id,
                                std::string_view module) {
  return change(connection, "INSERT OR IGNORE INTO role_modules (role_id, module) VALUES (?, ?)",
                {role_id, module});
}

Result<bool> delete_role_module(Connection& connection, std::string_view role_id,
                                std::string_view module) {
  return change(connection, "DELETE FROM role_modules WHERE role_id = ? AND module = ?",
                {role_id, module});
}

Result<bool> insert_role_permission_set(Connection& connection, std::string_view role_id,
                                        std::string_view set_id) {
  return change(connection,
                "INSERT OR IGNORE INTO role_permission_sets (role_id, set_id) VALUES (?, ?)",
                {role_id, set_id});
}

Result<bool> delete_role_permission_set(Connection& connection, std::string_view role_id,
                                        std::string_view set_id) {
  return change(connection, "DELETE FROM role_permission_sets WHERE role_id = ? AND set_id = ?",
                {role_id, set_id});
}

Result<bool> insert_role_member(Connection& connection, std::string_view role_id,
                                std::string_view user_id) {
  return change(connection, "INSERT OR IGNORE INTO role_members (role_id, user_id) VALUES (?, ?)",
                {role_id, user_id});
}

Result<bool> delete_role_member(Connection& connection, std::string_view role_id,
                                std::string_view user_id) {
  return change(connection, "DELETE FROM role_members WHERE role_id = ? AND user_id = ?",
                {role_id, user_id});
}

Result<std::vector<std::string>> select_role_members(Connection& connection,
                                                     std::string_view role_id) {
  return select_texts(
      connection, "SELECT user_id FROM role_members WHERE role_id = ? ORDER BY user_id", {role_id});
}

Result<std::vector<std::string>> select_roles_using_set(Connection& connection,
                                                        std::string_view set_id) {
  return select_texts(connection,
                      "SELECT role_id FROM role_permission_sets WHERE set_id = ? ORDER BY role_id",
                      {set_id});
}

Result<bool> upsert_entitlement(Connection& connection, std::string_view user_id,
                                std::string_view application_id, policy::Access access) {
  return change(connection,
                "INSERT INTO application_entitlements (user_id, application_id, access) "
                "VALUES (?, ?, ?) ON CONFLICT (user_id, application_id) DO UPDATE SET "
                "access = excluded.access WHERE access <> excluded.access",
                {user_id, application_id, policy::to_string(access)});
}

Result<bool> delete_entitlement(Connection& connection, std::string_view user_id,
                                std::string_view application_id) {
  return change(connection,
                "DELETE FROM application_entitlements WHERE user_id = ? AND application_id = ?",
                {user_id, application_id});
}

Result<bool> insert_build_access(Connection& connection, std::string_view user_id,
                                 std::string_view application_id) {
  return change(connection,
                "INSERT OR IGNORE INTO build_access (user_id, application_id) VALUES (?, ?)",
                {user_id, application_id});
}

Result<bool> delete_build_access(Connection& connection, std::string_view user_id,
                                 std::string_view application_id) {
  return change(connection, "DELETE FROM build_access WHERE user_id = ? AND application_id = ?",
                {user_id, application_id});
}

Result<policy::UserGrants> select_user_grants(Connection& connection, std::string_view user_id) {
  policy::UserGrants grants;
  grants.user_id = std::string(user_id);
  auto modules = select_texts(
      connection, "SELECT module FROM user_modules WHERE user_id = ? ORDER BY module", {user_id});
  if (!modules) return fail(modules.error());
  grants.direct_modules = std::move(*modules);
  auto roles = select_roles_of_user(connection, user_id);
  if (!roles) return fail(roles.error());
  grants.roles = std::move(*roles);
  auto sets = select_sets_by(connection,
                             "SELECT DISTINCT s.id, s.name, s.created_at FROM permission_sets s "
                             "JOIN role_permission_sets rs ON rs.set_id = s.id "
                             "JOIN role_members m ON m.role_id = rs.role_id "
                             "WHERE m.user_id = ? ORDER BY s.name",
                             user_id);
  if (!sets) return fail(sets.error());
  grants.permission_sets = std::move(*sets);
  {
    auto statement = connection.prepare(
        "SELECT application_id, access FROM application_entitlements WHERE user_id = ? "
        "ORDER BY application_id");
    if (!statement) return fail(statement.error());
    statement->bind_text(1, user_id);
    for (;;) {
      auto row = statement->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      auto access = access_of(statement->text_at(1));
      if (!access) return fail(access.error());
      grants.entitlements[statement->text_at(0)] = *access;
    }
  }
  auto build = select_texts(
      connection,
      "SELECT application_id FROM build_access WHERE user_id = ? ORDER BY application_id",
      {user_id});
  if (!build) return fail(build.error());
  grants.build_access.insert(build->begin(), build->end());
  return grants;
}

}  // namespace latchkey::sqlite
