// The decision function of seed 001: may a principal perform an action on an
// application (and some of its steps)? Allow, or deny with a machine-readable
// reason naming the missing piece.
//
// Pure: no I/O. `decide` is a function of its arguments only; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/model.h"

namespace latchkey::policy {

// Actions, with their exact wire names (seed 001 "Common Permission Needs"):
//   read_records               no module;           app Read; Read on each requested step
//   create_record              RECORDS;             app Edit; Edit on the application's origin step
//   update_record              RECORDS;             app Edit; Edit on each requested step
//   bulk_import                IMPORT;              app Edit; Edit on the origin step
//   read_table_report          TABLE_REPORTS_READ;  app Read; Read on every step the report
//   references audit_export               STATUS (+ ADMIN when admin_data); app Read; Read on each
//   requested step modify_application_design  BUILD;               app Edit; build access; step
//   sets irrelevant
enum class Action {
  kReadRecords,
  kCreateRecord,
  kUpdateRecord,
  kBulkImport,
  kReadTableReport,
  kAuditExport,
  kModifyApplicationDesign,
};
std::string_view to_string(Action action);
std::optional<Action> parse_action(std::string_view text);
// All actions, in the order above.
std::span<const Action> all_actions();
// create_record, update_record, bulk_import, modify_application_design.
bool is_write(Action action);
// Whether the action needs the request to name steps (read_records,
// update_record, read_table_report, audit_export).
bool needs_requested_steps(Action action);

struct DecisionRequest {
  Action action = Action::kReadRecords;
  std::string application;         // app_... id
  std::vector<std::string> steps;  // stp_... ids
  bool admin_data = false;         // audit_export covering admin data needs ADMIN too
};

// How a decision's target is named in audit records: "application/app_1" or
// "application/app_1/steps/stp_a,stp_b" (the least-privilege report reads
// this form back).
std::string resource_of(const DecisionRequest& request);

// Deny reasons (Decision::reason).
inline constexpr std::string_view kReasonUserDisabled = "user_disabled";
inline constexpr std::string_view kReasonApiAccessDisabled = "api_access_disabled";
inline constexpr std::string_view kReasonModuleMissing = "module_missing";
inline constexpr std::string_view kReasonApplicationEntitlementMissing =
    "application_entitlement_missing";
inline constexpr std::string_view kReasonStepPermissionMissing = "step_permission_missing";
inline constexpr std::string_view kReasonBuildAccessMissing = "build_access_missing";
inline constexpr std::string_view kReasonKeyReadOnly = "key_read_only";
// Client errors rather than denials (the API answers 404 / 400 for them).
inline constexpr std::string_view kReasonUnknownApplication = "unknown_application";
inline constexpr std::string_view kReasonUnknownStep = "unknown_step";
inline constexpr std::string_view kReasonStepsRequired = "steps_required";

struct Decision {
  bool allow = false;
  std::string reason;       // empty when allowed; one of kReason*
  std::string description;  // for humans
  // The missing piece, when the reason names one (empty otherwise):
  std::string module;       // module_missing
  std::string application;  // application_entitlement_missing, build_access_missing, unknown_*
  std::string step;         // step_permission_missing, unknown_step
  std::string required;     // "read" | "edit" for entitlement/step reasons

  explicit operator bool() const { return allow; }
  // True for unknown_application, unknown_step, steps_required.
  bool is_client_error() const;

  static Decision allowed();
  static Decision denied(std::string_view reason, std::string description);
};

// A restriction from the API key the caller used (DESIGN invariant 4): when
// `role_id` is set only that role's modules and permission sets count (and
// only while the owner is still a member); with `read_only` every write
// action is denied with key_read_only.
struct KeyRestriction {
  std::string role_id;
  bool read_only = false;
};

// The decision. `application` is the requested application as the catalogue
// has it, or null when there is none with that id (-> unknown_application).
// Checks in order: user_disabled, api_access_disabled, key_read_only,
// unknown_application, steps_required, unknown_step, module_missing,
// application_entitlement_missing, build_access_missing,
// step_permission_missing.
Decision decide(const EffectivePermissions& permissions, const Application* application,
                const DecisionRequest& request,
                const std::optional<KeyRestriction>& key = std::nullopt);

// The permissions that count under `key`: with a role, only that role's
// modules and step access (none at all if the owner is no longer a member);
// entitlements and build access stay the owner's.
EffectivePermissions restrict_to_key(const EffectivePermissions& permissions,
                                     const KeyRestriction& key);

}  // namespace latchkey::policy
