#include "policy/model.h"

#include <array>

namespace latchkey::policy {
namespace {

constexpr std::array<std::string_view, 6> kBuiltinModules = {
    kModuleRecords, kModuleImport, kModuleTableReportsRead,
    kModuleStatus,  kModuleAdmin,  kModuleBuild,
};

}  // namespace

std::span<const std::string_view> builtin_modules() { return kBuiltinModules; }

bool is_well_formed_module_name(std::string_view module) {
  if (module.empty() || module.size() > 64) return false;
  if (module.front() < 'A' || module.front() > 'Z') return false;
  for (char c : module) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view to_string(Access access) {
  switch (access) {
    case Access::kNone:
      return "none";
    case Access::kRead:
      return "read";
    case Access::kEdit:
      return "edit";
  }
  return "none";
}

std::optional<Access> parse_access(std::string_view text) {
  if (text == "read") return Access::kRead;
  if (text == "edit") return Access::kEdit;
  return std::nullopt;
}

const Step* Application::origin_step() const {
  for (const Step& step : steps) {
    if (step.origin) return &step;
  }
  return nullptr;
}

const Step* Application::find_step(std::string_view id) const {
  for (const Step& step : steps) {
    if (step.id == id) return &step;
  }
  return nullptr;
}

const Step* Application::find_step_by_name(std::string_view name) const {
  for (const Step& step : steps) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

Access EffectivePermissions::step_access(std::string_view step_id) const {
  auto it = steps.find(std::string(step_id));
  return it == steps.end() ? Access::kNone : it->second;
}

Access EffectivePermissions::entitlement(std::string_view application_id) const {
  auto it = entitlements.find(std::string(application_id));
  return it == entitlements.end() ? Access::kNone : it->second;
}

const RolePermissions* EffectivePermissions::role(std::string_view role_id) const {
  for (const RolePermissions& r : roles) {
    if (r.role_id == role_id) return &r;
  }
  return nullptr;
}

bool EffectivePermissions::uses_permission_set(std::string_view set_id) const {
  for (const RolePermissions& r : roles) {
    if (r.permission_sets.contains(std::string(set_id))) return true;
  }
  return false;
}

EffectivePermissions compute_effective_permissions(const UserGrants& grants, bool disabled,
                                                   bool api_access) {
  EffectivePermissions out;
  out.user_id = grants.user_id;
  out.disabled = disabled;
  out.api_access = api_access;
  out.direct_modules.insert(grants.direct_modules.begin(), grants.direct_modules.end());
  out.modules = out.direct_modules;
  std::map<std::string, const StepPermissionSet*, std::less<>> sets;
  for (const StepPermissionSet& set : grants.permission_sets) sets[set.id] = &set;
  for (const Role& role : grants.roles) {
    RolePermissions rp;
    rp.role_id = role.id;
    rp.role_name = role.name;
    rp.modules.insert(role.modules.begin(), role.modules.end());
    for (const std::string& set_id : role.permission_sets) {
      rp.permission_sets.insert(set_id);
      auto it = sets.find(set_id);
      if (it == sets.end()) continue;
      for (const auto& [step, access] : it->second->steps) {
        Access& held = rp.steps[step];
        held = strongest(held, access);
      }
    }
    out.modules.insert(rp.modules.begin(), rp.modules.end());
    for (const auto& [step, access] : rp.steps) {
      Access& held = out.steps[step];
      held = strongest(held, access);
    }
    out.roles.push_back(std::move(rp));
  }
  out.entitlements = grants.entitlements;
  out.build_access = grants.build_access;
  return out;
}

}  // namespace latchkey::policy
