#include "policy/decision.h"

#include <array>
#include <string>
#include <utility>

namespace latchkey::policy {
namespace {

constexpr std::array kActions = {
    Action::kReadRecords,
    Action::kCreateRecord,
    Action::kUpdateRecord,
    Action::kBulkImport,
    Action::kReadTableReport,
    Action::kAuditExport,
    Action::kModifyApplicationDesign,
};

// What an action needs, per seed 001's table of common permission needs.
struct Needs {
  std::vector<std::string_view> modules;
  Access application = Access::kRead;
  bool build_access = false;
  enum class Steps { kRequested, kOrigin, kNone } steps = Steps::kRequested;
  Access step_access = Access::kRead;
};

Needs needs_of(const DecisionRequest& request) {
  using S = Needs::Steps;
  switch (request.action) {
    case Action::kReadRecords:
      // seed 001: "No module entitlement is needed. The gate is the Step
      // Permission Set."
      return {{}, Access::kRead, false, S::kRequested, Access::kRead};
    case Action::kCreateRecord:
      return {{kModuleRecords}, Access::kEdit, false, S::kOrigin, Access::kEdit};
    case Action::kUpdateRecord:
      return {{kModuleRecords}, Access::kEdit, false, S::kRequested, Access::kEdit};
    case Action::kBulkImport:
      return {{kModuleImport}, Access::kEdit, false, S::kOrigin, Access::kEdit};
    case Action::kReadTableReport:
      return {{kModuleTableReportsRead}, Access::kRead, false, S::kRequested, Access::kRead};
    case Action::kAuditExport:
      // seed 001: "STATUS (and ADMIN if the export covers admin data)".
      if (request.admin_data) {
        return {{kModuleStatus, kModuleAdmin}, Access::kRead, false, S::kRequested, Access::kRead};
      }
      return {{kModuleStatus}, Access::kRead, false, S::kRequested, Access::kRead};
    case Action::kModifyApplicationDesign:
      // seed 001: "Step Permission Sets are not relevant for build endpoints."
      return {{kModuleBuild}, Access::kEdit, true, S::kNone, Access::kNone};
  }
  return {};
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kReadRecords:
      return "read_records";
    case Action::kCreateRecord:
      return "create_record";
    case Action::kUpdateRecord:
      return "update_record";
    case Action::kBulkImport:
      return "bulk_import";
    case Action::kReadTableReport:
      return "read_table_report";
    case Action::kAuditExport:
      return "audit_export";
    case Action::kModifyApplicationDesign:
      return "modify_application_design";
  }
  return "";
}

std::optional<Action> parse_action(std::string_view text) {
  for (Action action : kActions) {
    if (to_string(action) == text) return action;
  }
  return std::nullopt;
}

std::span<const Action> all_actions() { return kActions; }

bool is_write(Action action) {
  return action == Action::kCreateRecord || action == Action::kUpdateRecord ||
         action == Action::kBulkImport || action == Action::kModifyApplicationDesign;
}

bool needs_requested_steps(Action action) {
  return action == Action::kReadRecords || action == Action::kUpdateRecord ||
         action == Action::kReadTableReport || action == Action::kAuditExport;
}

bool Decision::is_client_error() const {
  return reason == kReasonUnknownApplication || reason == kReasonUnknownStep ||
         reason == kReasonStepsRequired;
}

Decision Decision::allowed() {
  Decision d;
  d.allow = true;
  return d;
}

Decision Decision::denied(std::string_view reason, std::string description) {
  Decision d;
  d.allow = false;
  d.reason = std::string(reason);
  d.description = std::move(description);
  return d;
}

EffectivePermissions restrict_to_key(const EffectivePermissions& permissions,
                                     const KeyRestriction& key) {
  if (key.role_id.empty()) return permissions;
  EffectivePermissions out;
  out.user_id = permissions.user_id;
  out.disabled = permissions.disabled;
  out.api_access = permissions.api_access;
  out.entitlements = permissions.entitlements;
  out.build_access = permissions.build_access;
  // Only the key's role counts, and only while the owner is still a member
  // of it (invariant 4: a key never grants more than its owner holds).
  if (const RolePermissions* role = permissions.role(key.role_id)) {
    out.roles.push_back(*role);
    out.modules = role->modules;
    out.steps = role->steps;
  }
  return out;
}

Decision decide(const EffectivePermissions& held, const Application* application,
                const DecisionRequest& request, const std::optional<KeyRestriction>& key) {
  if (held.disabled) return Decision::denied(kReasonUserDisabled, "the user is disabled");
  if (!held.api_access) {
    // seed 001: "A service account without API access enabled returns 401".
    return Decision::denied(kReasonApiAccessDisabled, "API access is disabled for the user");
  }
  if (key && key->read_only && is_write(request.action)) {
    return Decision::denied(kReasonKeyReadOnly, "the API key is read-only and " +
                                                    quoted(to_string(request.action)) + " writes");
  }
  if (application == nullptr) {
    // The client's value is not echoed (it may be a misplaced secret).
    return Decision::denied(kReasonUnknownApplication,
                            "field \"application\" names no application");
  }
  const Needs needs = needs_of(request);
  if (needs.steps == Needs::Steps::kRequested && request.steps.empty()) {
    return Decision::denied(kReasonStepsRequired, quoted(to_string(request.action)) +
                                                      " needs the steps it touches (\"steps\")");
  }
  for (std::size_t i = 0; i < request.steps.size(); ++i) {
    if (application->find_step(request.steps[i]) == nullptr) {
      // Named by its position: the client's value is not echoed.
      Decision d =
          Decision::denied(kReasonUnknownStep, "application " + quoted(application->id) +
                                                   " has no step steps[" + std::to_string(i) + "]");
      d.application = application->id;
      d.step = "steps[" + std::to_string(i) + "]";
      return d;
    }
  }

  const EffectivePermissions restricted =
      key && !key->role_id.empty() ? restrict_to_key(held, *key) : EffectivePermissions{};
  const EffectivePermissions& p = key && !key->role_id.empty() ? restricted : held;

  for (std::string_view module : needs.modules) {
    if (!p.has_module(module)) {
      Decision d =
          Decision::denied(kReasonModuleMissing, quoted(to_string(request.action)) +
                                                     " needs the module " + quoted(module));
      d.module = std::string(module);
      return d;
    }
  }
  if (!satisfies(p.entitlement(application->id), needs.application)) {
    Decision d = Decision::denied(kReasonApplicationEntitlementMissing,
                                  quoted(to_string(request.action)) + " needs the " +
                                      std::string(to_string(needs.application)) +
                                      " entitlement on application " + quoted(application->id));
    d.application = application->id;
    d.required = std::string(to_string(needs.application));
    return d;
  }
  if (needs.build_access && !p.build_access.contains(application->id)) {
    Decision d =
        Decision::denied(kReasonBuildAccessMissing, quoted(to_string(request.action)) +
                                                        " needs build access on application " +
                                                        quoted(application->id));
    d.application = application->id;
    return d;
  }

  std::vector<std::string> steps;
  if (needs.steps == Needs::Steps::kRequested) {
    steps = request.steps;
  } else if (needs.steps == Needs::Steps::kOrigin) {
    const Step* origin = application->origin_step();
    if (origin == nullptr) {
      Decision d = Decision::denied(
          kReasonUnknownStep, "application " + quoted(application->id) + " has no origin step");
      d.application = application->id;
      return d;
    }
    steps.push_back(origin->id);
  }
  for (const std::string& step : steps) {
    if (!satisfies(p.step_access(step), needs.step_access)) {
      Decision d = Decision::denied(kReasonStepPermissionMissing,
                                    quoted(to_string(request.action)) + " needs " +
                                        std::string(to_string(needs.step_access)) + " on step " +
                                        quoted(step) +
                                        " (from a step permission set of one of the user's roles)");
      d.application = application->id;
      d.step = step;
      d.required = std::string(to_string(needs.step_access));
      return d;
    }
  }
  return Decision::allowed();
}

std::string resource_of(const DecisionRequest& request) {
  std::string resource = "application/" + request.application;
  if (!request.steps.empty()) {
    resource += "/steps/";
    for (std::size_t i = 0; i < request.steps.size(); ++i) {
      if (i > 0) resource += ',';
      resource += request.steps[i];
    }
  }
  return resource;
}

}  // namespace latchkey::policy
