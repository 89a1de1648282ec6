// PolicyStore on PostgreSQL (policy_store.h): the permission model of seed
// 001 in the tables of migration 301 (pg_schema_policy.cc).
//
// Each write is one READ COMMITTED transaction whose rules hold across
// nodes because the database keeps them:
//   - names and "one origin step" are unique constraints / a partial unique
//     index, so of two nodes creating the same name one gets kConflict;
//   - a row a write refers to is checked with FOR KEY SHARE, which keeps it
//     from being deleted until the write commits (and foreign keys back
//     that up: a violation still answers kNotFound);
//   - delete_role locks the role FOR UPDATE before it lists the members, so
//     a membership added concurrently either commits first (and is listed
//     as a former member, for invalidation) or fails with kNotFound;
//   - add_step locks its application, so that the step-name and origin
//     checks it reports are current.
// Reads that take several queries (an application and its steps, a user's
// grants) run in one REPEATABLE READ snapshot.
#include <set>
#include <string>
#include <utility>

#include "store/policy_store.h"
#include "store/postgres/pg_areas.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/pg_policy_area.h"
#include "store/postgres/pg_policy_reads.h"
#include "store/postgres/pg_values.h"

namespace latchkey::pg {
namespace {

using policy::Access;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

constexpr std::string_view kApplications = "SELECT id, name, created_at FROM applications ";
constexpr std::string_view kPermissionSets = "SELECT id, name, created_at FROM permission_sets ";
constexpr std::string_view kRoles = "SELECT id, name, created_at FROM roles r ";

// The tables whose rows other rows refer to, with the noun for errors.
enum class Table { kUsers, kApplications, kSteps, kPermissionSets, kRoles };

std::string_view noun_of(Table table) {
  switch (table) {
    case Table::kUsers:
      return "user";
    case Table::kApplications:
      return "application";
    case Table::kSteps:
      return "step";
    case Table::kPermissionSets:
      return "permission set";
    case Table::kRoles:
      return "role";
  }
  return "row";
}

std::string_view table_of(Table table) {
  switch (table) {
    case Table::kUsers:
      return "users";
    case Table::kApplications:
      return "applications";
    case Table::kSteps:
      return "steps";
    case Table::kPermissionSets:
      return "permission_sets";
    case Table::kRoles:
      return "roles";
  }
  return "";
}

Error missing(Table table) {
  return Error::not_found("no " + std::string(noun_of(table)) + " with the given id");
}

// kNotFound naming the missing row. The row stays locked (FOR KEY SHARE by
// default: it cannot be deleted) until the caller's transaction ends.
Status require(Connection& c, Table table, std::string_view id,
               std::string_view lock = "FOR KEY SHARE") {
  auto rows = c.exec(
      "SELECT 1 FROM " + std::string(table_of(table)) + " WHERE id = $1 " + std::string(lock),
      {text(id)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(missing(table));
  return {};
}

// Runs a statement with text parameters; true when it changed a row. A
// foreign-key violation (a row deleted concurrently) is kNotFound.
Result<bool> change(Connection& c, std::string_view sql,
                    std::initializer_list<std::string_view> params) {
  std::vector<Param> values;
  for (std::string_view p : params) values.push_back(text(p));
  auto rows = c.exec(sql, values);
  if (!rows) {
    return fail(not_found_if_missing_reference(c, rows.error(), "a referenced row is gone"));
  }
  return rows->affected() > 0;
}

template <class T>
std::optional<T> first_of(std::vector<T>& rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

Status insert_step(Connection& c, const policy::Step& step) {
  auto inserted = c.exec(
      "INSERT INTO steps (id, application_id, name, origin, created_at) "
      "VALUES ($1, $2, $3, $4::boolean, $5::bigint)",
      {text(step.id), text(step.application_id), text(step.name), boolean(step.origin),
       instant(step.created_at)});
  if (!inserted) {
    return fail(not_found_if_missing_reference(c, inserted.error(), "no application with that id"));
  }
  return {};
}

class PgPolicyStore final : public PolicyStore {
 public:
  explicit PgPolicyStore(Database& db) : db_(db) {}

  // --- applications and steps ---------------------------------------------------

  Status create_application(const policy::Application& application) override {
    if (auto s = check_storable_text("text", {application.id, application.name}); !s) return s;
    for (const policy::Step& step : application.steps) {
      if (auto s = check_storable_text("text", {step.id, step.application_id, step.name}); !s)
        return s;
    }
    int origins = 0;
    std::set<std::string_view> names;
    for (const policy::Step& step : application.steps) {
      if (step.origin) ++origins;
      if (!names.insert(step.name).second) {
        return fail(Error::conflict("two steps are named " + quoted(step.name)));
      }
    }
    if (origins != 1) {
      return fail(Error::invalid_request("an application has exactly one origin step"));
    }
    return db_.write([&](Connection& c) -> Status {
      auto taken = c.exec("SELECT 1 FROM applications WHERE name = $1", {text(application.name)});
      if (!taken) return fail(taken.error());
      if (!taken->empty()) {
        return fail(Error::conflict("an application named " + quoted(application.name) +
                                    " already exists"));
      }
      // A concurrent creation of the same name fails on the unique constraint.
      auto inserted =
          c.exec("INSERT INTO applications (id, name, created_at) VALUES ($1, $2, $3::bigint)",
                 {text(application.id), text(application.name), instant(application.created_at)});
      if (!inserted) return fail(inserted.error());
      for (const policy::Step& step : application.steps) {
        if (auto s = insert_step(c, step); !s) return s;
      }
      return {};
    });
  }

  Status add_step(const policy::Step& step) override {
    if (auto s = check_storable_text("text", {step.id, step.application_id, step.name}); !s)
      return s;
    return db_.write([&](Connection& c) -> Status {
      if (auto s = require(c, Table::kApplications, step.application_id, "FOR NO KEY UPDATE"); !s) {
        return s;
      }
      auto apps =
          select_applications(c, std::string(kApplications) + "WHERE id = $1", step.application_id);
      if (!apps) return fail(apps.error());
      if (apps->empty()) return fail(missing(Table::kApplications));
      const policy::Application& app = apps->front();
      if (app.find_step_by_name(step.name) != nullptr) {
        return fail(Error::conflict("application " + quoted(app.name) +
                                    " already has a step named " + quoted(step.name)));
      }
      if (step.origin && app.origin_step() != nullptr) {
        return fail(
            Error::conflict("application " + quoted(app.name) + " already has an origin step"));
      }
      return insert_step(c, step);
    });
  }

  Result<std::optional<policy::Application>> get_application(std::string_view id) override {
    return one_application(std::string(kApplications) + "WHERE id = $1", id);
  }

  Result<std::optional<policy::Application>> find_application_by_name(
      std::string_view name) override {
    return one_application(std::string(kApplications) + "WHERE name = $1", name);
  }

  Result<std::vector<policy::Application>> list_applications() override {
    return db_.write([&](Connection& c) -> Result<std::vector<policy::Application>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      return select_applications(c, std::string(kApplications) + "ORDER BY created_at, seq",
                                 std::nullopt);
    });
  }

  // --- step permission sets ------------------------------------------------------

  Status create_permission_set(const policy::StepPermissionSet& set) override {
    if (auto s = check_storable_text("text", {set.id, set.name}); !s) return s;
    for (const auto& [step, access] : set.steps) {
      if (auto s = check_storable_text("text", {step}); !s) return s;
    }
    return db_.write([&](Connection& c) -> Status {
      auto taken = c.exec("SELECT 1 FROM permission_sets WHERE name = $1", {text(set.name)});
      if (!taken) return fail(taken.error());
      if (!taken->empty()) {
        return fail(
            Error::conflict("a permission set named " + quoted(set.name) + " already exists"));
      }
      for (const auto& [step, access] : set.steps) {
        if (auto s = require(c, Table::kSteps, step); !s) return s;
      }
      auto inserted =
          c.exec("INSERT INTO permission_sets (id, name, created_at) VALUES ($1, $2, $3::bigint)",
                 {text(set.id), text(set.name), instant(set.created_at)});
      if (!inserted) return fail(inserted.error());
      for (const auto& [step, access] : set.steps) {
        auto linked = change(c,
                             "INSERT INTO permission_set_steps (set_id, step_id, access) "
                             "VALUES ($1, $2, $3)",
                             {set.id, step, policy::to_string(access)});
        if (!linked) return fail(linked.error());
      }
      return {};
    });
  }

  Result<std::optional<policy::StepPermissionSet>> get_permission_set(
      std::string_view id) override {
    return one_permission_set(std::string(kPermissionSets) + "WHERE id = $1", id);
  }

  Result<std::optional<policy::StepPermissionSet>> find_permission_set_by_name(
      std::string_view name) override {
    return one_permission_set(std::string(kPermissionSets) + "WHERE name = $1", name);
  }

  Result<std::vector<policy::StepPermissionSet>> list_permission_sets() override {
    return db_.write([&](Connection& c) -> Result<std::vector<policy::StepPermissionSet>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      return select_permission_sets(c, std::string(kPermissionSets) + "ORDER BY created_at, seq",
                                    std::nullopt);
    });
  }

  Result<bool> set_permission_set_step(std::string_view set_id, std::string_view step_id,
                                       Access access) override {
    if (auto s = check_storable_text("text", {set_id, step_id}); !s) return fail(s.error());
    if (access == Access::kNone) {
      return fail(Error::invalid_request("step access is read or edit"));
    }
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kPermissionSets, set_id); !s) return fail(s.error());
      if (auto s = require(c, Table::kSteps, step_id); !s) return fail(s.error());
      return change(
          c,
          "INSERT INTO permission_set_steps (set_id, step_id, access) VALUES ($1, $2, $3) "
          "ON CONFLICT (set_id, step_id) DO UPDATE SET access = excluded.access "
          "WHERE permission_set_steps.access <> excluded.access",
          {set_id, step_id, policy::to_string(access)});
    });
  }

  Result<bool> remove_permission_set_step(std::string_view set_id,
                                          std::string_view step_id) override {
    if (auto s = check_storable_text("text", {set_id, step_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kPermissionSets, set_id); !s) return fail(s.error());
      return change(c, "DELETE FROM permission_set_steps WHERE set_id = $1 AND step_id = $2",
                    {set_id, step_id});
    });
  }

  // --- roles ----------------------------------------------------------------------

  Status create_role(const policy::Role& role) override {
    if (auto s = check_storable_text("text", {role.id, role.name}); !s) return s;
    for (const std::string& text : role.modules) {
      if (auto s = check_storable_text("text", {text}); !s) return s;
    }
    for (const std::string& text : role.permission_sets) {
      if (auto s = check_storable_text("text", {text}); !s) return s;
    }
    return db_.write([&](Connection& c) -> Status {
      auto taken = c.exec("SELECT 1 FROM roles WHERE name = $1", {text(role.name)});
      if (!taken) return fail(taken.error());
      if (!taken->empty()) {
        return fail(Error::conflict("a role named " + quoted(role.name) + " already exists"));
      }
      auto inserted = c.exec("INSERT INTO roles (id, name, created_at) VALUES ($1, $2, $3::bigint)",
                             {text(role.id), text(role.name), instant(role.created_at)});
      if (!inserted) return fail(inserted.error());
      for (const std::string& module : role.modules) {
        auto linked = change(c,
                             "INSERT INTO role_modules (role_id, module) VALUES ($1, $2) "
                             "ON CONFLICT DO NOTHING",
                             {role.id, module});
        if (!linked) return fail(linked.error());
      }
      for (const std::string& set : role.permission_sets) {
        if (auto s = require(c, Table::kPermissionSets, set); !s) return s;
        auto linked = change(c,
                             "INSERT INTO role_permission_sets (role_id, set_id) VALUES ($1, $2) "
                             "ON CONFLICT DO NOTHING",
                             {role.id, set});
        if (!linked) return fail(linked.error());
      }
      return {};
    });
  }

  Result<std::optional<policy::Role>> get_role(std::string_view id) override {
    return one_role(std::string(kRoles) + "WHERE id = $1", id);
  }

  Result<std::optional<policy::Role>> find_role_by_name(std::string_view name) override {
    return one_role(std::string(kRoles) + "WHERE name = $1", name);
  }

  Result<std::vector<policy::Role>> list_roles() override {
    return db_.write([&](Connection& c) -> Result<std::vector<policy::Role>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      return select_roles(c, std::string(kRoles) + "ORDER BY created_at, seq", std::nullopt);
    });
  }

  Result<std::vector<std::string>> delete_role(std::string_view id) override {
    if (auto s = check_storable_text("text", {id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<std::vector<std::string>> {
      // FOR UPDATE waits for memberships being added (their foreign-key
      // check holds KEY SHARE on the role) and keeps new ones out.
      if (auto s = require(c, Table::kRoles, id, "FOR UPDATE"); !s) return fail(s.error());
      auto members = select_texts(
          c, "SELECT user_id FROM role_members WHERE role_id = $1 ORDER BY user_id", {id});
      if (!members) return fail(members.error());
      auto deleted = c.exec("DELETE FROM roles WHERE id = $1", {text(id)});
      if (!deleted) return fail(deleted.error());
      return std::move(*members);
    });
  }

  Result<bool> add_role_module(std::string_view role_id, std::string_view module) override {
    if (auto s = check_storable_text("text", {role_id, module}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kRoles, role_id); !s) return fail(s.error());
      return change(
          c, "INSERT INTO role_modules (role_id, module) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          {role_id, module});
    });
  }

  Result<bool> remove_role_module(std::string_view role_id, std::string_view module) override {
    if (auto s = check_storable_text("text", {role_id, module}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kRoles, role_id); !s) return fail(s.error());
      return change(c, "DELETE FROM role_modules WHERE role_id = $1 AND module = $2",
                    {role_id, module});
    });
  }

  Result<bool> add_role_permission_set(std::string_view role_id, std::string_view set_id) override {
    if (auto s = check_storable_text("text", {role_id, set_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kRoles, role_id); !s) return fail(s.error());
      if (auto s = require(c, Table::kPermissionSets, set_id); !s) return fail(s.error());
      return change(c,
                    "INSERT INTO role_permission_sets (role_id, set_id) VALUES ($1, $2) "
                    "ON CONFLICT DO NOTHING",
                    {role_id, set_id});
    });
  }

  Result<bool> remove_role_permission_set(std::string_view role_id,
                                          std::string_view set_id) override {
    if (auto s = check_storable_text("text", {role_id, set_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kRoles, role_id); !s) return fail(s.error());
      return change(c, "DELETE FROM role_permission_sets WHERE role_id = $1 AND set_id = $2",
                    {role_id, set_id});
    });
  }

  // --- membership -------------------------------------------------------------------

  Result<bool> add_role_member(std::string_view role_id, std::string_view user_id) override {
    if (auto s = check_storable_text("text", {role_id, user_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kRoles, role_id); !s) return fail(s.error());
      if (auto s = require(c, Table::kUsers, user_id); !s) return fail(s.error());
      return change(
          c, "INSERT INTO role_members (role_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
          {role_id, user_id});
    });
  }

  Result<bool> remove_role_member(std::string_view role_id, std::string_view user_id) override {
    if (auto s = check_storable_text("text", {role_id, user_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kRoles, role_id); !s) return fail(s.error());
      if (auto s = require(c, Table::kUsers, user_id); !s) return fail(s.error());
      return change(c, "DELETE FROM role_members WHERE role_id = $1 AND user_id = $2",
                    {role_id, user_id});
    });
  }

  Result<std::vector<std::string>> role_members(std::string_view role_id) override {
    if (auto s = check_storable_text("text", {role_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<std::vector<std::string>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      if (auto s = require(c, Table::kRoles, role_id, ""); !s) return fail(s.error());
      return select_texts(c, "SELECT user_id FROM role_members WHERE role_id = $1 ORDER BY user_id",
                          {role_id});
    });
  }

  Result<std::vector<std::string>> roles_using_permission_set(std::string_view set_id) override {
    if (!is_storable_text(set_id)) return std::vector<std::string>{};
    return db_.read([&](Connection& c) {
      return select_texts(
          c, "SELECT role_id FROM role_permission_sets WHERE set_id = $1 ORDER BY role_id",
          {set_id});
    });
  }

  // --- entitlements and build access ----------------------------------------------------

  Result<bool> set_entitlement(std::string_view user_id, std::string_view application_id,
                               Access access) override {
    if (auto s = check_storable_text("text", {user_id, application_id}); !s) return fail(s.error());
    if (access == Access::kNone) {
      return fail(Error::invalid_request("an entitlement is read or edit"));
    }
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kUsers, user_id); !s) return fail(s.error());
      if (auto s = require(c, Table::kApplications, application_id); !s) return fail(s.error());
      return change(c,
                    "INSERT INTO application_entitlements (user_id, application_id, access) "
                    "VALUES ($1, $2, $3) ON CONFLICT (user_id, application_id) DO UPDATE SET "
                    "access = excluded.access "
                    "WHERE application_entitlements.access <> excluded.access",
                    {user_id, application_id, policy::to_string(access)});
    });
  }

  Result<bool> remove_entitlement(std::string_view user_id,
                                  std::string_view application_id) override {
    if (auto s = check_storable_text("text", {user_id, application_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kUsers, user_id); !s) return fail(s.error());
      return change(
          c, "DELETE FROM application_entitlements WHERE user_id = $1 AND application_id = $2",
          {user_id, application_id});
    });
  }

  Result<bool> grant_build_access(std::string_view user_id,
                                  std::string_view application_id) override {
    if (auto s = check_storable_text("text", {user_id, application_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kUsers, user_id); !s) return fail(s.error());
      if (auto s = require(c, Table::kApplications, application_id); !s) return fail(s.error());
      return change(c,
                    "INSERT INTO build_access (user_id, application_id) VALUES ($1, $2) "
                    "ON CONFLICT DO NOTHING",
                    {user_id, application_id});
    });
  }

  Result<bool> revoke_build_access(std::string_view user_id,
                                   std::string_view application_id) override {
    if (auto s = check_storable_text("text", {user_id, application_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<bool> {
      if (auto s = require(c, Table::kUsers, user_id); !s) return fail(s.error());
      return change(c, "DELETE FROM build_access WHERE user_id = $1 AND application_id = $2",
                    {user_id, application_id});
    });
  }

  Result<policy::UserGrants> user_grants(std::string_view user_id) override {
    if (auto s = check_storable_text("text", {user_id}); !s) return fail(s.error());
    return db_.write([&](Connection& c) -> Result<policy::UserGrants> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      if (auto s = require(c, Table::kUsers, user_id, ""); !s) return fail(s.error());
      return select_user_grants(c, user_id);
    });
  }

 private:
  Result<std::optional<policy::Application>> one_application(const std::string& sql,
                                                             std::string_view key) {
    if (!is_storable_text(key)) return std::optional<policy::Application>();  // names no row
    return db_.write([&](Connection& c) -> Result<std::optional<policy::Application>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      auto apps = select_applications(c, sql, key);
      if (!apps) return fail(apps.error());
      return first_of(*apps);
    });
  }

  Result<std::optional<policy::StepPermissionSet>> one_permission_set(const std::string& sql,
                                                                      std::string_view key) {
    if (!is_storable_text(key)) return std::optional<policy::StepPermissionSet>();  // names no row
    return db_.write([&](Connection& c) -> Result<std::optional<policy::StepPermissionSet>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      auto sets = select_permission_sets(c, sql, key);
      if (!sets) return fail(sets.error());
      return first_of(*sets);
    });
  }

  Result<std::optional<policy::Role>> one_role(const std::string& sql, std::string_view key) {
    if (!is_storable_text(key)) return std::optional<policy::Role>();  // names no row
    return db_.write([&](Connection& c) -> Result<std::optional<policy::Role>> {
      if (auto s = snapshot(c); !s) return fail(s.error());
      auto roles = select_roles(c, sql, key);
      if (!roles) return fail(roles.error());
      return first_of(*roles);
    });
  }

  Database& db_;
};

}  // namespace

std::unique_ptr<PolicyStore> make_pg_policy_store(Database& db) {
  return std::make_unique<PgPolicyStore>(db);
}

}  // namespace latchkey::pg
