// The permission model of seed 001 as plain values: modules, applications
// and their steps, step permission sets, roles, application entitlements and
// build access, and a user's effective permissions computed from them.
//
// Pure: no I/O, no HTTP, no SQL. Values only; safe to copy between threads.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace latchkey::policy {

// --- modules ---------------------------------------------------------------
// seed 001 "Common Permission Needs". ADMIN administers latchkey itself.
inline constexpr std::string_view kModuleRecords = "RECORDS";
inline constexpr std::string_view kModuleImport = "IMPORT";
inline constexpr std::string_view kModuleTableReportsRead = "TABLE_REPORTS_READ";
inline constexpr std::string_view kModuleStatus = "STATUS";
inline constexpr std::string_view kModuleAdmin = "ADMIN";
inline constexpr std::string_view kModuleBuild = "BUILD";

// The built-in modules, in this order: RECORDS, IMPORT, TABLE_REPORTS_READ,
// STATUS, ADMIN, BUILD. More can be added by configuration (extra_modules).
std::span<const std::string_view> builtin_modules();

// kInvalidRequest-worthy unless 1..64 characters of A-Z, 0-9 and '_',
// starting with a letter.
bool is_well_formed_module_name(std::string_view module);

// --- access levels -----------------------------------------------------------
// Read or Edit; Edit implies Read (seed 001). kNone only as "nothing held".
enum class Access { kNone = 0, kRead = 1, kEdit = 2 };
std::string_view to_string(Access access);                  // "none", "read", "edit"
std::optional<Access> parse_access(std::string_view text);  // "read" | "edit" only
inline bool satisfies(Access held, Access required) {
  return static_cast<int>(held) >= static_cast<int>(required);
}
inline Access strongest(Access a, Access b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// --- identifiers -------------------------------------------------------------
inline constexpr std::string_view kApplicationIdPrefix = "app_";
inline constexpr std::string_view kStepIdPrefix = "stp_";
inline constexpr std::string_view kPermissionSetIdPrefix = "psn_";
inline constexpr std::string_view kRoleIdPrefix = "rol_";

// --- catalogue -----------------------------------------------------------------
struct Step {
  std::string id;              // stp_...
  std::string application_id;  // app_...
  std::string name;            // unique within its application
  bool origin = false;         // exactly one origin step per application
  Instant created_at;
};

struct Application {
  std::string id;           // app_...
  std::string name;         // unique
  std::vector<Step> steps;  // in creation order
  Instant created_at;

  const Step* origin_step() const;
  const Step* find_step(std::string_view id) const;
  const Step* find_step_by_name(std::string_view name) const;
};

// A named set of step -> Read/Edit, attached to roles (seed 001).
struct StepPermissionSet {
  std::string id;                       // psn_...
  std::string name;                     // unique
  std::map<std::string, Access> steps;  // step id -> kRead | kEdit
  Instant created_at;
};

struct Role {
  std::string id;                            // rol_...
  std::string name;                          // unique, e.g. "Integration: Risk Sync"
  std::vector<std::string> modules;          // sorted
  std::vector<std::string> permission_sets;  // psn ids, sorted
  Instant created_at;
};

// An application entitlement of one principal: Read or Edit.
struct ApplicationEntitlement {
  std::string user_id;
  std::string application_id;
  Access access = Access::kRead;
};

// Everything granted to one user, as the store keeps it (one snapshot).
struct UserGrants {
  std::string user_id;
  std::vector<std::string> direct_modules;         // User::modules, sorted
  std::vector<Role> roles;                         // the roles the user is a member of
  std::vector<StepPermissionSet> permission_sets;  // every set used by those roles
  std::map<std::string, Access> entitlements;      // application id -> access
  std::set<std::string> build_access;              // application ids
};

// --- effective permissions -----------------------------------------------------
// What one role contributes.
struct RolePermissions {
  std::string role_id;
  std::string role_name;
  std::set<std::string> modules;
  std::set<std::string> permission_sets;  // psn ids
  std::map<std::string, Access> steps;    // strongest over the role's sets
};

// The effective permissions of a user (seed 001): modules = direct modules ∪
// roles' modules; step access = the strongest over the roles' permission
// sets; application entitlements and build access are the user's own.
struct EffectivePermissions {
  std::string user_id;
  bool disabled = false;
  bool api_access = false;
  std::set<std::string> direct_modules;
  std::vector<RolePermissions> roles;
  std::set<std::string> modules;               // union
  std::map<std::string, Access> steps;         // union, strongest
  std::map<std::string, Access> entitlements;  // application id -> access
  std::set<std::string> build_access;          // application ids

  bool has_module(std::string_view module) const { return modules.contains(std::string(module)); }
  Access step_access(std::string_view step_id) const;
  Access entitlement(std::string_view application_id) const;
  const RolePermissions* role(std::string_view role_id) const;
  bool uses_permission_set(std::string_view set_id) const;
};

// Pure: folds `grants` (and the user's own flags) into effective permissions.
EffectivePermissions compute_effective_permissions(const UserGrants& grants, bool disabled,
                                                   bool api_access);

}  // namespace latchkey::policy
