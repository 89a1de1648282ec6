#include "store/sqlite/sqlite_policy_store.h"

#include <set>
#include <utility>

#include "store/sqlite/policy_rows.h"

namespace latchkey::sqlite {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view noun_of(PolicyTable table) {
  switch (table) {
    case PolicyTable::kUsers:
      return "user";
    case PolicyTable::kApplications:
      return "application";
    case PolicyTable::kSteps:
      return "step";
    case PolicyTable::kPermissionSets:
      return "permission set";
    case PolicyTable::kRoles:
      return "role";
  }
  return "row";
}

// kNotFound naming the missing row, checked inside the caller's transaction.
Status require(Connection& connection, PolicyTable table, std::string_view id) {
  auto exists = row_exists(connection, table, id);
  if (!exists) return fail(exists.error());
  if (!*exists) {
    return fail(Error::not_found("no " + std::string(noun_of(table)) + " with the given id"));
  }
  return {};
}

}  // namespace

// --- applications and steps ------------------------------------------------------

Status SqlitePolicyStore::create_application(const policy::Application& application) {
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
  return db_.write([&](Connection& connection) -> Status {
    auto existing = select_application_by_name(connection, application.name);
    if (!existing) return fail(existing.error());
    if (*existing) {
      return fail(
          Error::conflict("an application named " + quoted(application.name) + " already exists"));
    }
    if (auto s = insert_application_row(connection, application); !s) return s;
    for (const policy::Step& step : application.steps) {
      if (auto s = insert_step_row(connection, step); !s) return s;
    }
    return {};
  });
}

Status SqlitePolicyStore::add_step(const policy::Step& step) {
  return db_.write([&](Connection& connection) -> Status {
    auto app = select_application(connection, step.application_id);
    if (!app) return fail(app.error());
    if (!*app) return fail(Error::not_found("no application with the given id"));
    if ((*app)->find_step_by_name(step.name) != nullptr) {
      return fail(Error::conflict("application " + quoted((*app)->name) +
                                  " already has a step named " + quoted(step.name)));
    }
    if (step.origin && (*app)->origin_step() != nullptr) {
      return fail(
          Error::conflict("application " + quoted((*app)->name) + " already has an origin step"));
    }
    return insert_step_row(connection, step);
  });
}

Result<std::optional<policy::Application>> SqlitePolicyStore::get_application(std::string_view id) {
  return db_.read([&](Connection& c) { return select_application(c, id); });
}

Result<std::optional<policy::Application>> SqlitePolicyStore::find_application_by_name(
    std::string_view name) {
  return db_.read([&](Connection& c) { return select_application_by_name(c, name); });
}

Result<std::vector<policy::Application>> SqlitePolicyStore::list_applications() {
  return db_.read([&](Connection& c) { return select_applications(c); });
}

// --- step permission sets ------------------------------------------------------------

Status SqlitePolicyStore::create_permission_set(const policy::StepPermissionSet& set) {
  return db_.write([&](Connection& connection) -> Status {
    auto existing = select_permission_set_by_name(connection, set.name);
    if (!existing) return fail(existing.error());
    if (*existing) {
      return fail(
          Error::conflict("a permission set named " + quoted(set.name) + " already exists"));
    }
    for (const auto& [step, access] : set.steps) {
      if (auto s = require(connection, PolicyTable::kSteps, step); !s) return s;
    }
    return insert_permission_set_rows(connection, set);
  });
}

Result<std::optional<policy::StepPermissionSet>> SqlitePolicyStore::get_permission_set(
    std::string_view id) {
  return db_.read([&](Connection& c) { return select_permission_set(c, id); });
}

Result<std::optional<policy::StepPermissionSet>> SqlitePolicyStore::find_permission_set_by_name(
    std::string_view name) {
  return db_.read([&](Connection& c) { return select_permission_set_by_name(c, name); });
}

Result<std::vector<policy::StepPermissionSet>> SqlitePolicyStore::list_permission_sets() {
  return db_.read([&](Connection& c) { return select_permission_sets(c); });
}

Result<bool> SqlitePolicyStore::set_permission_set_step(std::string_view set_id,
                                                        std::string_view step_id,
                                                        policy::Access access) {
  if (access == policy::Access::kNone) {
    return fail(Error::invalid_request("step access is read or edit"));
  }
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kPermissionSets, set_id); !s) {
      return fail(s.error());
    }
    if (auto s = require(connection, PolicyTable::kSteps, step_id); !s) return fail(s.error());
    return upsert_permission_set_step(connection, set_id, step_id, access);
  });
}

Result<bool> SqlitePolicyStore::remove_permission_set_step(std::string_view set_id,
                                                           std::string_view step_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kPermissionSets, set_id); !s) {
      return fail(s.error());
    }
    return delete_permission_set_step(connection, set_id, step_id);
  });
}

// --- roles -------------------------------------------------------------------------------

Status SqlitePolicyStore::create_role(const policy::Role& role) {
  return db_.write([&](Connection& connection) -> Status {
    auto existing = select_role_by_name(connection, role.name);
    if (!existing) return fail(existing.error());
    if (*existing) {
      return fail(Error::conflict("a role named " + quoted(role.name) + " already exists"));
    }
    if (auto s = insert_role_row(connection, role); !s) return s;
    for (const std::string& module : role.modules) {
      if (auto r = insert_role_module(connection, role.id, module); !r) return fail(r.error());
    }
    for (const std::string& set : role.permission_sets) {
      if (auto s = require(connection, PolicyTable::kPermissionSets, set); !s) return s;
      if (auto r = insert_role_permission_set(connection, role.id, set); !r) {
        return fail(r.error());
      }
    }
    return {};
  });
}

Result<std::optional<policy::Role>> SqlitePolicyStore::get_role(std::string_view id) {
  return db_.read([&](Connection& c) { return select_role(c, id); });
}

Result<std::optional<policy::Role>> SqlitePolicyStore::find_role_by_name(std::string_view name) {
  return db_.read([&](Connection& c) { return select_role_by_name(c, name); });
}

Result<std::vector<policy::Role>> SqlitePolicyStore::list_roles() {
  return db_.read([&](Connection& c) { return select_roles(c); });
}

Result<std::vector<std::string>> SqlitePolicyStore::delete_role(std::string_view id) {
  return db_.write([&](Connection& connection) -> Result<std::vector<std::string>> {
    if (auto s = require(connection, PolicyTable::kRoles, id); !s) return fail(s.error());
    auto members = select_role_members(connection, id);
    if (!members) return fail(members.error());
    if (auto s = delete_role_row(connection, id); !s) return fail(s.error());
    return std::move(*members);
  });
}

Result<bool> SqlitePolicyStore::add_role_module(std::string_view role_id, std::string_view module) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    return insert_role_module(connection, role_id, module);
  });
}

Result<bool> SqlitePolicyStore::remove_role_module(std::string_view role_id,
                                                   std::string_view module) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    return delete_role_module(connection, role_id, module);
  });
}

Result<bool> SqlitePolicyStore::add_role_permission_set(std::string_view role_id,
                                                        std::string_view set_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    if (auto s = require(connection, PolicyTable::kPermissionSets, set_id); !s) {
      return fail(s.error());
    }
    return insert_role_permission_set(connection, role_id, set_id);
  });
}

Result<bool> SqlitePolicyStore::remove_role_permission_set(std::string_view role_id,
                                                           std::string_view set_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    return delete_role_permission_set(connection, role_id, set_id);
  });
}

// --- membership ------------------------------------------------------------------------------

Result<bool> SqlitePolicyStore::add_role_member(std::string_view role_id,
                                                std::string_view user_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    return insert_role_member(connection, role_id, user_id);
  });
}

Result<bool> SqlitePolicyStore::remove_role_member(std::string_view role_id,
                                                   std::string_view user_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    return delete_role_member(connection, role_id, user_id);
  });
}

Result<std::vector<std::string>> SqlitePolicyStore::role_members(std::string_view role_id) {
  return db_.read([&](Connection& connection) -> Result<std::vector<std::string>> {
    if (auto s = require(connection, PolicyTable::kRoles, role_id); !s) return fail(s.error());
    return select_role_members(connection, role_id);
  });
}

Result<std::vector<std::string>> SqlitePolicyStore::roles_using_permission_set(
    std::string_view set_id) {
  return db_.read([&](Connection& c) { return select_roles_using_set(c, set_id); });
}

// --- entitlements and build access ---------------------------------------------------------------

Result<bool> SqlitePolicyStore::set_entitlement(std::string_view user_id,
                                                std::string_view application_id,
                                                policy::Access access) {
  if (access == policy::Access::kNone) {
    return fail(Error::invalid_request("an entitlement is read or edit"));
  }
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    if (auto s = require(connection, PolicyTable::kApplications, application_id); !s) {
      return fail(s.error());
    }
    return upsert_entitlement(connection, user_id, application_id, access);
  });
}

Result<bool> SqlitePolicyStore::remove_entitlement(std::string_view user_id,
                                                   std::string_view application_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    return delete_entitlement(connection, user_id, application_id);
  });
}

Result<bool> SqlitePolicyStore::grant_build_access(std::string_view user_id,
                                                   std::string_view application_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    if (auto s = require(connection, PolicyTable::kApplications, application_id); !s) {
      return fail(s.error());
    }
    return insert_build_access(connection, user_id, application_id);
  });
}

Result<bool> SqlitePolicyStore::revoke_build_access(std::string_view user_id,
                                                    std::string_view application_id) {
  return db_.write([&](Connection& connection) -> Result<bool> {
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    return delete_build_access(connection, user_id, application_id);
  });
}

Result<policy::UserGrants> SqlitePolicyStore::user_grants(std::string_view user_id) {
  return db_.read([&](Connection& connection) -> Result<policy::UserGrants> {
    if (auto s = require(connection, PolicyTable::kUsers, user_id); !s) return fail(s.error());
    return select_user_grants(connection, user_id);
  });
}

}  // namespace latchkey::sqlite
