// PolicyStore: The permission model of seed 001: roles, applications and steps, step permission
// sets, application entitlements, build access, role membership.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
// Errors: kNotFound when a referenced row (user, application, step, role,
// permission set) does not exist, naming which; kConflict when a name (or id)
// is taken or a rule of the model would break (a second origin step).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "policy/model.h"
#include "store/records.h"

namespace latchkey {

class PolicyStore {
 public:
  virtual ~PolicyStore() = default;

  // --- applications and steps ----------------------------------------------
  // Inserts the application with its steps. kConflict when the name is taken,
  // two steps share a name, or the steps do not hold exactly one origin
  // (kInvalidRequest for the latter).
  virtual Status create_application(const policy::Application& application) = 0;
  // kNotFound (no such application), kConflict (step name taken in the
  // application, or a second origin step).
  virtual Status add_step(const policy::Step& step) = 0;
  virtual Result<std::optional<policy::Application>> get_application(std::string_view id) = 0;
  virtual Result<std::optional<policy::Application>> find_application_by_name(
      std::string_view name) = 0;
  // Ordered by creation time; steps in creation order.
  virtual Result<std::vector<policy::Application>> list_applications() = 0;

  // --- step permission sets -------------------------------------------------
  // kConflict when the name is taken; kNotFound when a step does not exist.
  virtual Status create_permission_set(const policy::StepPermissionSet& set) = 0;
  virtual Result<std::optional<policy::StepPermissionSet>> get_permission_set(
      std::string_view id) = 0;
  virtual Result<std::optional<policy::StepPermissionSet>> find_permission_set_by_name(
      std::string_view name) = 0;
  virtual Result<std::vector<policy::StepPermissionSet>> list_permission_sets() = 0;
  // Sets (inserts or replaces) one step's access in the set; true when
  // something changed. kNotFound for a missing set or step.
  virtual Result<bool> set_permission_set_step(std::string_view set_id, std::string_view step_id,
                                               policy::Access access) = 0;
  // kNotFound for a missing set.
  virtual Result<bool> remove_permission_set_step(std::string_view set_id,
                                                  std::string_view step_id) = 0;

  // --- roles ------------------------------------------------------------------
  // With its modules and permission sets. kConflict when the name is taken;
  // kNotFound when a permission set does not exist.
  virtual Status create_role(const policy::Role& role) = 0;
  virtual Result<std::optional<policy::Role>> get_role(std::string_view id) = 0;
  virtual Result<std::optional<policy::Role>> find_role_by_name(std::string_view name) = 0;
  virtual Result<std::vector<policy::Role>> list_roles() = 0;
  // Deletes the role, its module and permission-set links and its
  // memberships, and returns the former members. kNotFound when absent.
  virtual Result<std::vector<std::string>> delete_role(std::string_view id) = 0;
  // Add/remove one link; true when something changed. kNotFound for a
  // missing role (or permission set on add).
  virtual Result<bool> add_role_module(std::string_view role_id, std::string_view module) = 0;
  virtual Result<bool> remove_role_module(std::string_view role_id, std::string_view module) = 0;
  virtual Result<bool> add_role_permission_set(std::string_view role_id,
                                               std::string_view set_id) = 0;
  virtual Result<bool> remove_role_permission_set(std::string_view role_id,
                                                  std::string_view set_id) = 0;

  // --- role membership ----------------------------------------------------------
  // true when something changed. kNotFound for a missing user or role.
  virtual Result<bool> add_role_member(std::string_view role_id, std::string_view user_id) = 0;
  virtual Result<bool> remove_role_member(std::string_view role_id, std::string_view user_id) = 0;
  // User ids, sorted.
  virtual Result<std::vector<std::string>> role_members(std::string_view role_id) = 0;
  // Roles (ids) whose permission sets include `set_id`, sorted.
  virtual Result<std::vector<std::string>> roles_using_permission_set(std::string_view set_id) = 0;

  // --- application entitlements and build access ------------------------------------
  // Sets (inserts or replaces) the user's entitlement. kNotFound for a
  // missing user or application. true when something changed.
  virtual Result<bool> set_entitlement(std::string_view user_id, std::string_view application_id,
                                       policy::Access access) = 0;
  virtual Result<bool> remove_entitlement(std::string_view user_id,
                                          std::string_view application_id) = 0;
  virtual Result<bool> grant_build_access(std::string_view user_id,
                                          std::string_view application_id) = 0;
  virtual Result<bool> revoke_build_access(std::string_view user_id,
                                           std::string_view application_id) = 0;

  // --- everything about one user, in one snapshot ------------------------------------------
  // The user's direct modules, roles (with modules and permission sets), the
  // permission sets those roles use, entitlements and build access.
  // kNotFound when there is no such user.
  virtual Result<policy::UserGrants> user_grants(std::string_view user_id) = 0;
};

}  // namespace latchkey
