// The permission-model tables (migration 2) as calls, one function per SQL
// operation, run on whatever connection the caller holds. Nothing here opens
// or ends a transaction; sqlite_policy_store.cc composes them.
//
// Thread-safety: that of the Connection passed in (one thread at a time).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "policy/model.h"
#include "store/sqlite/connection.h"

namespace latchkey::sqlite {

// The tables whose rows other rows refer to.
enum class PolicyTable { kUsers, kApplications, kSteps, kPermissionSets, kRoles };
Result<bool> row_exists(Connection& connection, PolicyTable table, std::string_view id);

Status insert_application_row(Connection& connection, const policy::Application& application);
Status insert_step_row(Connection& connection, const policy::Step& step);
Result<std::optional<policy::Application>> select_application(Connection& connection,
                                                              std::string_view id);
Result<std::optional<policy::Application>> select_application_by_name(Connection& connection,
                                                                      std::string_view name);
Result<std::vector<policy::Application>> select_applications(Connection& connection);
// Whether the application already has an origin step.
Result<bool> has_origin_step(Connection& connection, std::string_view application_id);

Status insert_permission_set_rows(Connection& connection, const policy::StepPermissionSet& set);
Result<std::optional<policy::StepPermissionSet>> select_permission_set(Connection& connection,
                                                                       std::string_view id);
Result<std::optional<policy::StepPermissionSet>> select_permission_set_by_name(
    Connection& connection, std::string_view name);
Result<std::vector<policy::StepPermissionSet>> select_permission_sets(Connection& connection);
Result<bool> upsert_permission_set_step(Connection& connection, std::string_view set_id,
                                        std::string_view step_id, policy::Access access);
Result<bool> delete_permission_set_step(Connection& connection, std::string_view set_id,
                                        std::string_view step_id);

Status insert_role_row(Connection& connection, const policy::Role& role);
Result<std::optional<policy::Role>> select_role(Connection& connection, std::string_view id);
Result<std::optional<policy::Role>> select_role_by_name(Connection& connection,
                                                        std::string_view name);
Result<std::vector<policy::Role>> select_roles(Connection& connection);
// Roles the user is a member of, by name.
Result<std::vector<policy::Role>> select_roles_of_user(Connection& connection,
                                                       std::string_view user_id);
Status delete_role_row(Connection& connection, std::string_view id);

// One link row: true when it was inserted / deleted.
Result<bool> insert_role_module(Connection& connection, std::string_view role_id,
                                std::string_view module);
Result<bool> delete_role_module(Connection& connection, std::string_view role_id,
                                std::string_view module);
Result<bool> insert_role_permission_set(Connection& connection, std::string_view role_id,
                                        std::string_view set_id);
Result<bool> delete_role_permission_set(Connection& connection, std::string_view role_id,
                                        std::string_view set_id);
Result<bool> insert_role_member(Connection& connection, std::string_view role_id,
                                std::string_view user_id);
Result<bool> delete_role_member(Connection& connection, std::string_view role_id,
                                std::string_view user_id);
Result<std::vector<std::string>> select_role_members(Connection& connection,
                                                     std::string_view role_id);
Result<std::vector<std::string>> select_roles_using_set(Connection& connection,
                                                        std::string_view set_id);

Result<bool> upsert_entitlement(Connection& connection, std::string_view user_id,
                                std::string_view application_id, policy::Access access);
Result<bool> delete_entitlement(Connection& connection, std::string_view user_id,
                                std::string_view application_id);
Result<bool> insert_build_access(Connection& connection, std::string_view user_id,
                                 std::string_view application_id);
Result<bool> delete_build_access(Connection& connection, std::string_view user_id,
                                 std::string_view application_id);

// Everything granted to the user (user_modules included). Requires the user
// to exist (the caller checks).
Result<policy::UserGrants> select_user_grants(Connection& connection, std::string_view user_id);

}  // namespace latchkey::sqlite
