#include "authz/permission_service.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "accounts/user_service.h"
#include "core/ids.h"
#include "store/policy_store.h"

namespace latchkey::authz {
namespace {

using policy::Access;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool starts_with(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status run_before_apply(const BeforeApply& before_apply) {
  if (!before_apply) return {};
  return before_apply();
}

}  // namespace

Status validate_policy_name(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxPolicyNameBytes) {
    return fail(Error::invalid_request(std::string(what) + " name must be 1.." +
                                       std::to_string(kMaxPolicyNameBytes) + " bytes"));
  }
  bool blank = true;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return fail(
          Error::invalid_request(std::string(what) + " name must not contain control characters"));
    }
    if (c != ' ') blank = false;
  }
  if (blank) return fail(Error::invalid_request(std::string(what) + " name must not be blank"));
  return {};
}

PermissionService::PermissionService(Store& store, const Clock& clock, Random& random,
                                     std::vector<std::string> extra_modules)
    : store_(store), clock_(clock), random_(random) {
  for (std::string_view m : policy::builtin_modules()) modules_.emplace_back(m);
  for (std::string& m : extra_modules) {
    std::string name = upper(m);
    if (!policy::is_well_formed_module_name(name)) continue;
    if (std::find(modules_.begin(), modules_.end(), name) == modules_.end()) {
      modules_.push_back(std::move(name));
    }
  }
}

bool PermissionService::is_known_module(std::string_view module) const {
  return std::find(modules_.begin(), modules_.end(), module) != modules_.end();
}

// --- resolution --------------------------------------------------------------------

Result<User> PermissionService::resolve_user(std::string_view ref) {
  if (starts_with(ref, "usr_")) return store_.get_user(ref);
  auto user = store_.find_user_by_name(ref);
  if (!user) return fail(user.error());
  if (!*user) return fail(Error::not_found("no user with the given id or name"));
  return std::move(**user);
}

Result<policy::Application> PermissionService::resolve_application(std::string_view ref) {
  auto app = starts_with(ref, policy::kApplicationIdPrefix)
                 ? store_.policy().get_application(ref)
                 : store_.policy().find_application_by_name(ref);
  if (!app) return fail(app.error());
  if (!*app) {
    return fail(Error::not_found("no application with the given id or name")
                    .with_reason(std::string(policy::kReasonUnknownApplication)));
  }
  return std::move(**app);
}

Result<policy::Role> PermissionService::resolve_role(std::string_view ref) {
  auto role = starts_with(ref, policy::kRoleIdPrefix) ? store_.policy().get_role(ref)
                                                      : store_.policy().find_role_by_name(ref);
  if (!role) return fail(role.error());
  if (!*role) return fail(Error::not_found("no role with the given id or name"));
  return std::move(**role);
}

Result<policy::StepPermissionSet> PermissionService::resolve_permission_set(std::string_view ref) {
  auto set = starts_with(ref, policy::kPermissionSetIdPrefix)
                 ? store_.policy().get_permission_set(ref)
                 : store_.policy().find_permission_set_by_name(ref);
  if (!set) return fail(set.error());
  if (!*set) return fail(Error::not_found("no permission set with the given id or name"));
  return std::move(**set);
}

// --- applications --------------------------------------------------------------------

Result<policy::Application> PermissionService::create_application(
    const Principal& actor, const CreateApplicationRequest& request,
    const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (auto s = validate_policy_name("application", request.name); !s) return fail(s.error());
  if (request.steps.empty()) {
    return fail(Error::invalid_request("an application needs at least one step (its origin)"));
  }
  std::set<std::string_view> names;
  int origins = 0;
  for (const NewStep& step : request.steps) {
    if (auto s = validate_policy_name("step", step.name); !s) return fail(s.error());
    if (!names.insert(step.name).second) {
      return fail(Error::invalid_request("two steps are named " + quoted(step.name)));
    }
    if (step.origin) ++origins;
  }
  if (origins != 1) {
    return fail(Error::invalid_request(
        "an application has exactly one origin step; mark one step \"origin\": true"));
  }
  const Instant now = clock_.now();
  policy::Application app;
  app.id = new_id(policy::kApplicationIdPrefix, random_);
  app.name = request.name;
  app.created_at = now;
  for (const NewStep& step : request.steps) {
    app.steps.push_back(
        {new_id(policy::kStepIdPrefix, random_), app.id, step.name, step.origin, now});
  }
  auto existing = store_.policy().find_application_by_name(app.name);
  if (!existing) return fail(existing.error());
  if (*existing) {
    return fail(Error::conflict("an application named " + quoted(app.name) + " already exists"));
  }
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto s = store_.policy().create_application(app); !s) return fail(s.error());
  invalidate_catalogue();
  return app;
}

Result<std::vector<policy::Application>> PermissionService::list_applications(
    const Principal& actor) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return store_.policy().list_applications();
}

Result<policy::Application> PermissionService::get_application(const Principal& actor,
                                                               std::string_view ref) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return resolve_application(ref);
}

Result<policy::Step> PermissionService::add_step(const Principal& actor,
                                                 std::string_view application_ref,
                                                 const NewStep& request,
                                                 const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (auto s = validate_policy_name("step", request.name); !s) return fail(s.error());
  auto app = resolve_application(application_ref);
  if (!app) return fail(app.error());
  if (app->find_step_by_name(request.name) != nullptr) {
    return fail(Error::conflict("application " + quoted(app->name) + " already has a step named " +
                                quoted(request.name)));
  }
  if (request.origin && app->origin_step() != nullptr) {
    return fail(Error::conflict("application " + quoted(app->name) +
                                " already has an origin step (exactly one per application)"));
  }
  policy::Step step{new_id(policy::kStepIdPrefix, random_), app->id, request.name, request.origin,
                    clock_.now()};
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto s = store_.policy().add_step(step); !s) return fail(s.error());
  invalidate_catalogue();
  return step;
}

// --- permission sets ------------------------------------------------------------------

Result<policy::StepPermissionSet> PermissionService::create_permission_set(
    const Principal& actor, const CreatePermissionSetRequest& request,
    const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (auto s = validate_policy_name("permission set", request.name); !s) return fail(s.error());
  if (request.steps.empty()) {
    return fail(
        Error::invalid_request("a permission set grants read or edit on at least one step"));
  }
  policy::StepPermissionSet set;
  set.id = new_id(policy::kPermissionSetIdPrefix, random_);
  set.name = request.name;
  set.created_at = clock_.now();
  for (const auto& [step, access] : request.steps) {
    if (access == Access::kNone) {
      return fail(Error::invalid_request("step access must be \"read\" or \"edit\""));
    }
    if (!starts_with(step, policy::kStepIdPrefix)) {
      return fail(Error::invalid_request("steps are named by id (stp_...)"));
    }
    if (!set.steps.emplace(step, access).second) {
      return fail(Error::invalid_request("a step is listed twice"));
    }
  }
  auto existing = store_.policy().find_permission_set_by_name(set.name);
  if (!existing) return fail(existing.error());
  if (*existing) {
    return fail(Error::conflict("a permission set named " + quoted(set.name) + " already exists"));
  }
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto s = store_.policy().create_permission_set(set); !s) return fail(s.error());
  return set;
}

Result<std::vector<policy::StepPermissionSet>> PermissionService::list_permission_sets(
    const Principal& actor) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return store_.policy().list_permission_sets();
}

Result<policy::StepPermissionSet> PermissionService::set_permission_set_step(
    const Principal& actor, std::string_view set_ref, std::string_view step_id, Access access,
    const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (access == Access::kNone) {
    return fail(Error::invalid_request("step access must be \"read\" or \"edit\""));
  }
  auto set = resolve_permission_set(set_ref);
  if (!set) return fail(set.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().set_permission_set_step(set->id, step_id, access); !r) {
    return fail(r.error());
  }
  invalidate_permission_set(set->id);
  return resolve_permission_set(set->id);
}

Result<policy::StepPermissionSet> PermissionService::remove_permission_set_step(
    const Principal& actor, std::string_view set_ref, std::string_view step_id,
    const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto set = resolve_permission_set(set_ref);
  if (!set) return fail(set.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().remove_permission_set_step(set->id, step_id); !r) {
    return fail(r.error());
  }
  invalidate_permission_set(set->id);
  return resolve_permission_set(set->id);
}

Result<policy::StepPermissionSet> PermissionService::get_permission_set(const Principal& actor,
                                                                        std::string_view ref) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return resolve_permission_set(ref);
}

// --- roles ------------------------------------------------------------------------------

Result<policy::Role> PermissionService::create_role(const Principal& actor,
                                                    const CreateRoleRequest& request,
                                                    const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (auto s = validate_policy_name("role", request.name); !s) return fail(s.error());
  policy::Role role;
  role.id = new_id(policy::kRoleIdPrefix, random_);
  role.name = request.name;
  role.created_at = clock_.now();
  for (const std::string& m : request.modules) {
    std::string module = upper(m);
    if (!is_known_module(module)) {
      return fail(Error::invalid_request("\"modules\" names an unknown module"));
    }
    role.modules.push_back(std::move(module));
  }
  for (const std::string& ref : request.permission_sets) {
    auto set = resolve_permission_set(ref);
    if (!set) return fail(set.error());
    role.permission_sets.push_back(set->id);
  }
  std::sort(role.modules.begin(), role.modules.end());
  role.modules.erase(std::unique(role.modules.begin(), role.modules.end()), role.modules.end());
  std::sort(role.permission_sets.begin(), role.permission_sets.end());
  role.permission_sets.erase(std::unique(role.permission_sets.begin(), role.permission_sets.end()),
                             role.permission_sets.end());
  auto existing = store_.policy().find_role_by_name(role.name);
  if (!existing) return fail(existing.error());
  if (*existing) {
    return fail(Error::conflict("a role named " + quoted(role.name) + " already exists"));
  }
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto s = store_.policy().create_role(role); !s) return fail(s.error());
  return role;
}

Result<std::vector<policy::Role>> PermissionService::list_roles(const Principal& actor) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return store_.policy().list_roles();
}

Result<policy::Role> PermissionService::get_role(const Principal& actor, std::string_view ref) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  return resolve_role(ref);
}

Result<policy::Role> PermissionService::role_by_id(std::string_view role_id) {
  return resolve_role(role_id);
}

Status PermissionService::delete_role(const Principal& actor, std::string_view ref,
                                      const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto role = resolve_role(ref);
  if (!role) return fail(role.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  auto members = store_.policy().delete_role(role->id);
  if (!members) return fail(members.error());
  invalidate_role(role->id);
  for (const std::string& member : *members) invalidate_user(member);
  return {};
}

Result<policy::Role> PermissionService::add_role_module(const Principal& actor,
                                                        std::string_view role_ref,
                                                        std::string_view module_name,
                                                        const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  const std::string module = upper(module_name);
  if (!is_known_module(module)) {
    return fail(Error::invalid_request("the path names an unknown module"));
  }
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().add_role_module(role->id, module); !r) return fail(r.error());
  invalidate_role(role->id);
  return resolve_role(role->id);
}

Result<policy::Role> PermissionService::remove_role_module(const Principal& actor,
                                                           std::string_view role_ref,
                                                           std::string_view module_name,
                                                           const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  const std::string module = upper(module_name);
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().remove_role_module(role->id, module); !r) return fail(r.error());
  invalidate_role(role->id);
  return resolve_role(role->id);
}

Result<policy::Role> PermissionService::add_role_permission_set(const Principal& actor,
                                                                std::string_view role_ref,
                                                                std::string_view set_ref,
                                                                const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  auto set = resolve_permission_set(set_ref);
  if (!set) return fail(set.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().add_role_permission_set(role->id, set->id); !r) {
    return fail(r.error());
  }
  invalidate_role(role->id);
  return resolve_role(role->id);
}

Result<policy::Role> PermissionService::remove_role_permission_set(
    const Principal& actor, std::string_view role_ref, std::string_view set_ref,
    const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  auto set = resolve_permission_set(set_ref);
  if (!set) return fail(set.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().remove_role_permission_set(role->id, set->id); !r) {
    return fail(r.error());
  }
  invalidate_role(role->id);
  return resolve_role(role->id);
}

Result<std::vector<std::string>> PermissionService::role_members(const Principal& actor,
                                                                 std::string_view role_ref) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  return store_.policy().role_members(role->id);
}

// --- per user --------------------------------------------------------------------------------

Result<policy::UserGrants> PermissionService::grant_role(const Principal& actor,
                                                         std::string_view user_ref,
                                                         std::string_view role_ref,
                                                         const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto user = resolve_user(user_ref);
  if (!user) return fail(user.error());
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().add_role_member(role->id, user->id); !r) return fail(r.error());
  invalidate_granted(user->id);
  return grants_of(user->id);
}

Result<policy::UserGrants> PermissionService::revoke_role(const Principal& actor,
                                                          std::string_view user_ref,
                                                          std::string_view role_ref,
                                                          const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto user = resolve_user(user_ref);
  if (!user) return fail(user.error());
  auto role = resolve_role(role_ref);
  if (!role) return fail(role.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().remove_role_member(role->id, user->id); !r) {
    return fail(r.error());
  }
  invalidate_granted(user->id);
  return grants_of(user->id);
}

Result<policy::UserGrants> PermissionService::grant_entitlement(const Principal& actor,
                                                                std::string_view user_ref,
                                                                std::string_view application_ref,
                                                                Access access,
                                                                const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  if (access == Access::kNone) {
    return fail(Error::invalid_request("an entitlement is \"read\" or \"edit\""));
  }
  auto user = resolve_user(user_ref);
  if (!user) return fail(user.error());
  auto app = resolve_application(application_ref);
  if (!app) return fail(app.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().set_entitlement(user->id, app->id, access); !r) {
    return fail(r.error());
  }
  invalidate_granted(user->id);
  return grants_of(user->id);
}

Result<policy::UserGrants> PermissionService::revoke_entitlement(const Principal& actor,
                                                                 std::string_view user_ref,
                                                                 std::string_view application_ref,
                                                                 const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto user = resolve_user(user_ref);
  if (!user) return fail(user.error());
  auto app = resolve_application(application_ref);
  if (!app) return fail(app.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().remove_entitlement(user->id, app->id); !r) return fail(r.error());
  invalidate_granted(user->id);
  return grants_of(user->id);
}

Result<policy::UserGrants> PermissionService::grant_build_access(const Principal& actor,
                                                                 std::string_view user_ref,
                                                                 std::string_view application_ref,
                                                                 const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto user = resolve_user(user_ref);
  if (!user) return fail(user.error());
  auto app = resolve_application(application_ref);
  if (!app) return fail(app.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().grant_build_access(user->id, app->id); !r) return fail(r.error());
  invalidate_granted(user->id);
  return grants_of(user->id);
}

Result<policy::UserGrants> PermissionService::revoke_build_access(const Principal& actor,
                                                                  std::string_view user_ref,
                                                                  std::string_view application_ref,
                                                                  const BeforeApply& before_apply) {
  if (auto s = require_admin(actor); !s) return fail(s.error());
  auto user = resolve_user(user_ref);
  if (!user) return fail(user.error());
  auto app = resolve_application(application_ref);
  if (!app) return fail(app.error());
  if (auto s = run_before_apply(before_apply); !s) return fail(s.error());
  if (auto r = store_.policy().revoke_build_access(user->id, app->id); !r) return fail(r.error());
  invalidate_granted(user->id);
  return grants_of(user->id);
}

// --- reading -------------------------------------------------------------------------------------

Result<policy::EffectivePermissions> PermissionService::effective_permissions(
    const Principal& actor, std::string_view user_ref) {
  std::string user_id;
  if (user_ref == "me" || user_ref == actor.user_id) {
    user_id = actor.user_id;
  } else {
    if (auto s = require_admin(actor); !s) return fail(s.error());
    auto user = resolve_user(user_ref);
    if (!user) return fail(user.error());
    user_id = user->id;
  }
  return effective_permissions(user_id);
}

Result<policy::EffectivePermissions> PermissionService::effective_permissions(
    std::string_view user_id) {
  auto cached = cached_permissions(user_id);
  if (!cached) return fail(cached.error());
  return **cached;
}

Result<bool> PermissionService::is_member(std::string_view user_id, std::string_view role_id) {
  auto cached = cached_permissions(user_id);
  if (!cached) return fail(cached.error());
  return (*cached)->role(role_id) != nullptr;
}

Result<policy::UserGrants> PermissionService::grants_of(std::string_view user_id) {
  return store_.policy().user_grants(user_id);
}

// --- decisions -----------------------------------------------------------------------------------

Result<DecisionOutcome> PermissionService::decide(const Principal& principal,
                                                  const policy::DecisionRequest& request) {
  auto permissions = cached_permissions(principal.user_id);
  if (!permissions) return fail(permissions.error());
  auto apps = catalogue();
  if (!apps) return fail(apps.error());
  const policy::Application* app = nullptr;
  if (auto it = (*apps)->find(request.application); it != (*apps)->end()) {
    app = &it->second;
  } else {
    // A name works too (callers type names; ids are what the catalogue keys).
    for (const auto& [id, candidate] : **apps) {
      if (candidate.name == request.application) app = &candidate;
    }
  }
  policy::DecisionRequest resolved = request;
  if (app != nullptr) {
    resolved.application = app->id;
    for (std::string& step : resolved.steps) {
      if (app->find_step(step) != nullptr) continue;
      if (const policy::Step* named = app->find_step_by_name(step)) step = named->id;
    }
  }

  std::optional<policy::KeyRestriction> key;
  if (principal.key) key = policy::KeyRestriction{principal.key->role_id, principal.key->read_only};
  // An OAuth token narrowed to scope "read" (docs/oauth.md) never writes.
  if (!principal.key && principal.read_only) key = policy::KeyRestriction{"", true};
  DecisionOutcome outcome{policy::decide(**permissions, app, resolved, key),
                          app != nullptr ? app->name : std::string(), resolved};
  const policy::Decision& d = outcome.decision;
  if (d.is_client_error()) {
    Error error = d.reason == policy::kReasonStepsRequired ? Error::invalid_request(d.description)
                                                           : Error::not_found(d.description);
    error.with_reason(d.reason);
    if (!d.application.empty()) error.with_detail("application", d.application);
    if (!d.step.empty()) error.with_detail("step", d.step);
    return fail(std::move(error));
  }
  return outcome;
}

// --- caches
// ---------------------------------------------------------------------------------------

Result<std::shared_ptr<const policy::EffectivePermissions>> PermissionService::cached_permissions(
    std::string_view user_id) {
  std::uint64_t generation = 0;
  const bool trusted = caches_trusted(trust_);
  {
    std::lock_guard lock(mu_);
    if (auto it = permissions_.find(std::string(user_id)); trusted && it != permissions_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
    generation = generation_;
  }
  auto user = store_.get_user(user_id);
  if (!user) return fail(user.error());
  auto grants = store_.policy().user_grants(user_id);
  if (!grants) return fail(grants.error());
  auto computed = std::make_shared<const policy::EffectivePermissions>(
      policy::compute_effective_permissions(*grants, user->disabled, user->api_access));
  std::lock_guard lock(mu_);
  // Cached only if nothing was invalidated meanwhile: a change committed
  // while we read must not be hidden behind an older snapshot.
  if (generation == generation_ && caches_trusted(trust_)) {
    permissions_[std::string(user_id)] = computed;
  }
  return computed;
}

Result<std::shared_ptr<const std::map<std::string, policy::Application, std::less<>>>>
PermissionService::catalogue() {
  std::uint64_t generation = 0;
  const bool trusted = caches_trusted(trust_);
  {
    std::lock_guard lock(mu_);
    if (catalogue_ && trusted) return catalogue_;
    generation = generation_;
  }
  auto apps = store_.policy().list_applications();
  if (!apps) return fail(apps.error());
  auto map = std::make_shared<std::map<std::string, policy::Application, std::less<>>>();
  for (policy::Application& app : *apps) {
    std::string id = app.id;
    map->emplace(std::move(id), std::move(app));
  }
  std::shared_ptr<const std::map<std::string, policy::Application, std::less<>>> result =
      std::move(map);
  std::lock_guard lock(mu_);
  if (generation == generation_ && caches_trusted(trust_)) catalogue_ = result;
  return result;
}

void PermissionService::on_user_changed(std::string_view user_id) { invalidate_user(user_id); }

void PermissionService::invalidate_all() {
  std::lock_guard lock(mu_);
  ++generation_;
  permissions_.clear();
  catalogue_.reset();
}

void PermissionService::invalidate_granted(std::string_view user_id) {
  invalidate_user(user_id);
  announce_change();
}

void PermissionService::announce_change() {
  if (on_change_) on_change_();
}

void PermissionService::invalidate_user(std::string_view user_id) {
  std::lock_guard lock(mu_);
  ++generation_;
  permissions_.erase(std::string(user_id));
}

void PermissionService::invalidate_role(std::string_view role_id) {
  {
    std::lock_guard lock(mu_);
    ++generation_;
    std::erase_if(permissions_,
                  [&](const auto& entry) { return entry.second->role(role_id) != nullptr; });
  }
  announce_change();
}

void PermissionService::invalidate_permission_set(std::string_view set_id) {
  {
    std::lock_guard lock(mu_);
    ++generation_;
    std::erase_if(permissions_,
                  [&](const auto& entry) { return entry.second->uses_permission_set(set_id); });
  }
  announce_change();
}

void PermissionService::invalidate_catalogue() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
    catalogue_.reset();
  }
  announce_change();
}

PermissionService::CacheStats PermissionService::cache_stats() const {
  std::lock_guard lock(mu_);
  return {hits_, misses_};
}

}  // namespace latchkey::authz
