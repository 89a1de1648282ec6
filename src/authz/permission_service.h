// PermissionService: the seed-001 permission model as the admin API, the CLI
// and the decision endpoints see it.
//
//   - Administration (applications and steps, step permission sets, roles,
//     role modules and permission sets, role membership, application
//     entitlements, build access): ADMIN only (kForbidden otherwise). Names
//     are validated (kInvalidRequest), unknown ids answer kNotFound,
//     duplicates kConflict. Every mutating call takes `before_apply`, run
//     after validation and before the change is written (the API passes
//     audit_admin_change there); if it fails, nothing is written and its
//     error is returned.
//   - Decisions (`decide`) are served from memory: the effective permissions
//     of each user are computed once and cached, and the application
//     catalogue is cached; a cache hit never touches the store. The caches
//     are invalidated, before a mutating call returns, for every user a
//     change can affect: the user (on_user_changed), all members of a changed
//     role, all users of a changed permission set, and the catalogue on any
//     application change.
//
// Ids or names: where a caller names an application, role or permission set
// (`ref`), an id ("app_…", "rol_…", "psn_…") or the exact name is accepted.
// Users are referred to by id (or name).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "accounts/principal.h"
#include "core/cache_trust.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "policy/decision.h"
#include "policy/model.h"
#include "store/store.h"

namespace latchkey::authz {

// Runs after validation, before the write; an error stops the change.
using BeforeApply = std::function<Status()>;

inline constexpr std::size_t kMaxPolicyNameBytes = 128;

// kInvalidRequest unless 1..128 bytes, no control characters, not blank.
Status validate_policy_name(std::string_view what, std::string_view name);

struct NewStep {
  std::string name;
  bool origin = false;
};

struct CreateApplicationRequest {
  std::string name;
  std::vector<NewStep> steps;  // exactly one with origin = true
};

struct CreatePermissionSetRequest {
  std::string name;
  // step reference (stp_ id) -> kRead | kEdit
  std::vector<std::pair<std::string, policy::Access>> steps;
};

struct CreateRoleRequest {
  std::string name;
  std::vector<std::string> modules;          // optional, at creation
  std::vector<std::string> permission_sets;  // refs, optional
};

// A decision together with what it was about, for audit and responses.
struct DecisionOutcome {
  policy::Decision decision;
  std::string application_name;
  // The request with the application and steps resolved to ids (names are
  // accepted in `decide`).
  policy::DecisionRequest resolved;
};

class PermissionService {
 public:
  // `extra_modules`: module names added by configuration to the built-in six.
  PermissionService(Store& store, const Clock& clock, Random& random,
                    std::vector<std::string> extra_modules = {});

  // --- modules ---------------------------------------------------------------
  // Built-in modules then configured ones.
  const std::vector<std::string>& modules() const { return modules_; }
  bool is_known_module(std::string_view module) const;

  // --- applications and steps --------------------------------------------------
  Result<policy::Application> create_application(const Principal& actor,
                                                 const CreateApplicationRequest& request,
                                                 const BeforeApply& before_apply = {});
  Result<std::vector<policy::Application>> list_applications(const Principal& actor);
  Result<policy::Application> get_application(const Principal& actor, std::string_view ref);
  // A non-origin step, or the origin when the application has none (never a
  // second origin: kConflict).
  Result<policy::Step> add_step(const Principal& actor, std::string_view application_ref,
                                const NewStep& step, const BeforeApply& before_apply = {});

  // --- step permission sets ----------------------------------------------------
  Result<policy::StepPermissionSet> create_permission_set(const Principal& actor,
                                                          const CreatePermissionSetRequest& request,
                                                          const BeforeApply& before_apply = {});
  Result<std::vector<policy::StepPermissionSet>> list_permission_sets(const Principal& actor);
  // Sets (or replaces) / removes one step of a set; every member of every
  // role using the set is affected at once. Return the set afterwards.
  Result<policy::StepPermissionSet> set_permission_set_step(const Principal& actor,
                                                            std::string_view set_ref,
                                                            std::string_view step_id,
                                                            policy::Access access,
                                                            const BeforeApply& before_apply = {});
  Result<policy::StepPermissionSet> remove_permission_set_step(
      const Principal& actor, std::string_view set_ref, std::string_view step_id,
      const BeforeApply& before_apply = {});
  Result<policy::StepPermissionSet> get_permission_set(const Principal& actor,
                                                       std::string_view ref);

  // --- roles ---------------------------------------------------------------------
  Result<policy::Role> create_role(const Principal& actor, const CreateRoleRequest& request,
                                   const BeforeApply& before_apply = {});
  Result<std::vector<policy::Role>> list_roles(const Principal& actor);
  Result<policy::Role> get_role(const Principal& actor, std::string_view ref);
  // Members lose the role's permissions at once.
  Status delete_role(const Principal& actor, std::string_view ref,
                     const BeforeApply& before_apply = {});
  // Idempotent; return the role as it is afterwards. Unknown module: kInvalidRequest.
  Result<policy::Role> add_role_module(const Principal& actor, std::string_view role_ref,
                                       std::string_view module,
                                       const BeforeApply& before_apply = {});
  Result<policy::Role> remove_role_module(const Principal& actor, std::string_view role_ref,
                                          std::string_view module,
                                          const BeforeApply& before_apply = {});
  Result<policy::Role> add_role_permission_set(const Principal& actor, std::string_view role_ref,
                                               std::string_view set_ref,
                                               const BeforeApply& before_apply = {});
  Result<policy::Role> remove_role_permission_set(const Principal& actor, std::string_view role_ref,
                                                  std::string_view set_ref,
                                                  const BeforeApply& before_apply = {});
  // The role's members (user ids), sorted.
  Result<std::vector<std::string>> role_members(const Principal& actor, std::string_view role_ref);

  // --- membership, entitlements, build access (per user) -----------------------------
  // Idempotent. Return the user's grants afterwards.
  Result<policy::UserGrants> grant_role(const Principal& actor, std::string_view user_ref,
                                        std::string_view role_ref,
                                        const BeforeApply& before_apply = {});
  Result<policy::UserGrants> revoke_role(const Principal& actor, std::string_view user_ref,
                                         std::string_view role_ref,
                                         const BeforeApply& before_apply = {});
  // Sets (replaces) the user's entitlement on the application.
  Result<policy::UserGrants> grant_entitlement(const Principal& actor, std::string_view user_ref,
                                               std::string_view application_ref,
                                               policy::Access access,
                                               const BeforeApply& before_apply = {});
  Result<policy::UserGrants> revoke_entitlement(const Principal& actor, std::string_view user_ref,
                                                std::string_view application_ref,
                                                const BeforeApply& before_apply = {});
  Result<policy::UserGrants> grant_build_access(const Principal& actor, std::string_view user_ref,
                                                std::string_view application_ref,
                                                const BeforeApply& before_apply = {});
  Result<policy::UserGrants> revoke_build_access(const Principal& actor, std::string_view user_ref,
                                                 std::string_view application_ref,
                                                 const BeforeApply& before_apply = {});

  // --- reading (for the API and for other areas) ----------------------------------
  // ADMIN, or the user themselves ("me" allowed).
  Result<policy::EffectivePermissions> effective_permissions(const Principal& actor,
                                                             std::string_view user_ref);
  // Without an actor, for other areas (key service, reports, gateway):
  // cached. kNotFound when there is no such user.
  Result<policy::EffectivePermissions> effective_permissions(std::string_view user_id);
  // Whether the user is a member of the role (ids). Cached.
  Result<bool> is_member(std::string_view user_id, std::string_view role_id);
  // What is granted to the user: direct modules, roles (with their modules
  // and permission sets), entitlements, build access. From the store.
  Result<policy::UserGrants> grants_of(std::string_view user_id);
  // A role by id, without an actor (e.g. to validate an API key's role).
  Result<policy::Role> role_by_id(std::string_view role_id);

  // --- decisions ---------------------------------------------------------------------
  // The decision for `principal` (honouring principal.key: role restriction
  // and read-only). Served from memory on a cache hit. Errors: kNotFound with
  // reason unknown_application / unknown_step, kInvalidRequest with reason
  // steps_required; kNotFound if the principal's user no longer exists;
  // kUnavailable/kInternal from the store on a miss.
  Result<DecisionOutcome> decide(const Principal& principal,
                                 const policy::DecisionRequest& request);

  // --- cache invalidation ----------------------------------------------------------
  // Call after any change to the user (disable, API access, modules).
  void on_user_changed(std::string_view user_id);
  void invalidate_all();

  // Several nodes sharing the store (invalidation/, docs/operations.md),
  // wiring before serving: `on_change` runs after every committed change to
  // the permission model made here (roles, sets, applications, grants; not
  // on_user_changed/invalidate_all), so that other nodes drop theirs. While
  // `trust` is withdrawn nothing is served from or put into the caches.
  void set_change_hook(std::function<void()> on_change) { on_change_ = std::move(on_change); }
  void set_cache_trust(const CacheTrust* trust) { trust_ = trust; }

  // Cache statistics, for tests and metrics.
  struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  CacheStats cache_stats() const;

 private:
  Result<std::shared_ptr<const policy::EffectivePermissions>> cached_permissions(
      std::string_view user_id);
  Result<std::shared_ptr<const std::map<std::string, policy::Application, std::less<>>>>
  catalogue();
  Result<User> resolve_user(std::string_view ref);
  Result<policy::Application> resolve_application(std::string_view ref);
  Result<policy::Role> resolve_role(std::string_view ref);
  Result<policy::StepPermissionSet> resolve_permission_set(std::string_view ref);
  void invalidate_user(std::string_view user_id);
  // A grant of the user changed here: invalidate and announce.
  void invalidate_granted(std::string_view user_id);
  void announce_change();
  void invalidate_role(std::string_view role_id);
  void invalidate_permission_set(std::string_view set_id);
  void invalidate_catalogue();

  Store& store_;
  const Clock& clock_;
  Random& random_;
  std::vector<std::string> modules_;
  std::function<void()> on_change_;
  const CacheTrust* trust_ = nullptr;

  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;  // GUARDED_BY(mu_); bumped by every invalidation
  std::unordered_map<std::string, std::shared_ptr<const policy::EffectivePermissions>>
      permissions_;  // GUARDED_BY(mu_)
  std::shared_ptr<const std::map<std::string, policy::Application, std::less<>>>
      catalogue_;             // GUARDED_BY(mu_)
  std::uint64_t hits_ = 0;    // GUARDED_BY(mu_)
  std::uint64_t misses_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace latchkey::authz
