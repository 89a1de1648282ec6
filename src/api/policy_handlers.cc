#include "api/policy_handlers.h"

#include <string>
#include <utility>
#include <vector>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "api/routes.h"
#include "authz/permission_service.h"
#include "core/encoding.h"
#include "core/time.h"
#include "policy/model.h"

namespace latchkey::api {
namespace {

using authz::BeforeApply;
using authz::PermissionService;
using http::PathParams;
using http::Request;
using http::Response;

// --- JSON shapes -----------------------------------------------------------------

Json step_to_json(const policy::Step& step) {
  return Json{{"id", step.id},
              {"application_id", step.application_id},
              {"name", step.name},
              {"origin", step.origin}};
}

Json application_to_json(const policy::Application& app) {
  Json steps = Json::array();
  for (const policy::Step& s : app.steps) {
    steps.push_back(Json{{"id", s.id}, {"name", s.name}, {"origin", s.origin}});
  }
  const policy::Step* origin = app.origin_step();
  return Json{{"id", app.id},
              {"name", app.name},
              {"origin_step", origin != nullptr ? Json(origin->id) : Json(nullptr)},
              {"steps", std::move(steps)},
              {"created_at", format_rfc3339(app.created_at)}};
}

Json access_map(const std::map<std::string, policy::Access>& map) {
  Json out = Json::object();
  for (const auto& [key, access] : map) out[key] = policy::to_string(access);
  return out;
}

Json permission_set_to_json(const policy::StepPermissionSet& set) {
  return Json{{"id", set.id},
              {"name", set.name},
              {"steps", access_map(set.steps)},
              {"created_at", format_rfc3339(set.created_at)}};
}

Json role_to_json(const policy::Role& role) {
  return Json{{"id", role.id},
              {"name", role.name},
              {"modules", role.modules},
              {"permission_sets", role.permission_sets},
              {"created_at", format_rfc3339(role.created_at)}};
}

Json grants_to_json(const policy::UserGrants& g) {
  Json roles = Json::array();
  for (const policy::Role& r : g.roles) roles.push_back(role_to_json(r));
  Json sets = Json::array();
  for (const policy::StepPermissionSet& s : g.permission_sets) {
    sets.push_back(permission_set_to_json(s));
  }
  return Json{{"user_id", g.user_id},
              {"modules", g.direct_modules},
              {"roles", std::move(roles)},
              {"permission_sets", std::move(sets)},
              {"entitlements", access_map(g.entitlements)},
              {"build_access", g.build_access}};
}

Json effective_permissions_to_json(const policy::EffectivePermissions& p) {
  Json roles = Json::array();
  for (const policy::RolePermissions& r : p.roles) {
    roles.push_back(Json{{"id", r.role_id},
                         {"name", r.role_name},
                         {"modules", r.modules},
                         {"permission_sets", r.permission_sets},
                         {"steps", access_map(r.steps)}});
  }
  return Json{{"user_id", p.user_id},
              {"disabled", p.disabled},
              {"api_access", p.api_access},
              {"modules", p.modules},
              {"direct_modules", p.direct_modules},
              {"roles", std::move(roles)},
              {"steps", access_map(p.steps)},
              {"entitlements", access_map(p.entitlements)},
              {"build_access", p.build_access}};
}

// --- request helpers ---------------------------------------------------------------

// A path parameter with %XX escapes decoded, so that names with spaces work
// ("Integration%3A%20Risk%20Sync").
Result<std::string> param(const PathParams& params, std::string_view name) {
  const std::string_view text = params.get(name);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return fail(Error::invalid_request("malformed %-escape in the path"));
    }
    const int hi = hex_digit_value(text[i + 1]);
    const int lo = hex_digit_value(text[i + 2]);
    if (hi < 0 || lo < 0) return fail(Error::invalid_request("malformed %-escape in the path"));
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  if (out.empty())
    return fail(Error::invalid_request("empty path parameter \"" + std::string(name) + "\""));
  return out;
}

Response ok(int status, const Json& body, const Principal& actor) {
  Response r = json_response(status, body);
  r.principal_for_log = actor.user_id;
  return r;
}

// A JSON object body with only `fields`, from an authenticated ADMIN.
Result<std::pair<std::shared_ptr<const Principal>, Json>> admin_body(
    const pipeline::Exchange& ex, std::initializer_list<std::string_view> fields) {
  const Request& request = ex.request();
  auto actor = verified_caller(ex);
  if (!actor) return fail(actor.error());
  if (auto s = require_admin(**actor); !s) return fail(s.error());
  auto body = parse_object_body(request);
  if (!body) return fail(body.error());
  if (auto s = reject_unknown_fields(*body, fields); !s) return fail(s.error());
  return std::pair{std::move(*actor), std::move(*body)};
}

// The audit hook run by the service after validation, before the write.
BeforeApply audit_before(const ApiContext& ctx, pipeline::Exchange& ex, const Principal& actor,
                         std::string action, std::string resource) {
  return [&ctx, &ex, &actor, action = std::move(action),
          resource = std::move(resource)]() -> Status {
    return audit_admin_change(ctx, ex, audit_event(ctx, ex.request(), &actor, action, resource));
  };
}

Result<std::string> required_string(const Json& body, std::string_view key) {
  auto value = optional_string(body, key);
  if (!value) return fail(value.error());
  if (!*value)
    return fail(Error::invalid_request("field \"" + std::string(key) + "\" is required"));
  return std::move(**value);
}

// --- applications --------------------------------------------------------------------

Response create_application(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto admin = admin_body(ex, {"name", "steps"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    auto name = required_string(body, "name");
    if (!name) return fail(name.error());
    authz::CreateApplicationRequest create{*name, {}};
    auto steps = body.find("steps");
    if (steps == body.end() || !steps->is_array()) {
      return fail(Error::invalid_request(
          "field \"steps\" is required: [{\"name\": \"...\", \"origin\": true}, ...]"));
    }
    for (const Json& step : *steps) {
      if (!step.is_object()) {
        return fail(Error::invalid_request("each step is an object {\"name\", \"origin\"}"));
      }
      if (auto s = reject_unknown_fields(step, {"name", "origin"}); !s) return fail(s.error());
      auto step_name = required_string(step, "name");
      if (!step_name) return fail(step_name.error());
      auto origin = optional_bool(step, "origin");
      if (!origin) return fail(origin.error());
      create.steps.push_back({*step_name, origin->value_or(false)});
    }
    auto app = ctx.permissions->create_application(
        *actor, create,
        audit_before(ctx, ex, *actor, "application.create", "application/" + *name));
    if (!app) return fail(app.error());
    return ok(201, application_to_json(*app), *actor);
  }());
}

Response list_applications(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto apps = ctx.permissions->list_applications(**actor);
    if (!apps) return fail(apps.error());
    Json list = Json::array();
    for (const auto& app : *apps) list.push_back(application_to_json(app));
    return ok(200, Json{{"applications", std::move(list)}}, **actor);
  }());
}

Response get_application(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto app = ctx.permissions->get_application(**actor, *id);
    if (!app) return fail(app.error());
    return ok(200, application_to_json(*app), **actor);
  }());
}

Response add_step(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto admin = admin_body(ex, {"name", "origin"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto name = required_string(body, "name");
    if (!name) return fail(name.error());
    auto origin = optional_bool(body, "origin");
    if (!origin) return fail(origin.error());
    auto step = ctx.permissions->add_step(
        *actor, *id, {*name, origin->value_or(false)},
        audit_before(ctx, ex, *actor, "application.step.create", "application/" + *id));
    if (!step) return fail(step.error());
    return ok(201, step_to_json(*step), *actor);
  }());
}

// --- permission sets ------------------------------------------------------------------

Response create_permission_set(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto admin = admin_body(ex, {"name", "steps"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    auto name = required_string(body, "name");
    if (!name) return fail(name.error());
    authz::CreatePermissionSetRequest create{*name, {}};
    auto steps = body.find("steps");
    if (steps == body.end() || !steps->is_object()) {
      return fail(Error::invalid_request(
          "field \"steps\" is required: {\"stp_...\": \"read\" | \"edit\", ...}"));
    }
    for (const auto& [step, access_json] : steps->items()) {
      if (!access_json.is_string()) {
        return fail(Error::invalid_request("step access must be \"read\" or \"edit\""));
      }
      auto access = policy::parse_access(access_json.get<std::string>());
      if (!access) return fail(Error::invalid_request("step access must be \"read\" or \"edit\""));
      create.steps.emplace_back(step, *access);
    }
    auto set = ctx.permissions->create_permission_set(
        *actor, create,
        audit_before(ctx, ex, *actor, "permission_set.create", "permission_set/" + *name));
    if (!set) return fail(set.error());
    return ok(201, permission_set_to_json(*set), *actor);
  }());
}

Response list_permission_sets(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto sets = ctx.permissions->list_permission_sets(**actor);
    if (!sets) return fail(sets.error());
    Json list = Json::array();
    for (const auto& set : *sets) list.push_back(permission_set_to_json(set));
    return ok(200, Json{{"permission_sets", std::move(list)}}, **actor);
  }());
}

Response get_permission_set(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto set = ctx.permissions->get_permission_set(**actor, *id);
    if (!set) return fail(set.error());
    return ok(200, permission_set_to_json(*set), **actor);
  }());
}

// PUT/DELETE /api/v1/permission-sets/{id}/steps/{target}.
template <bool kAdd>
Response permission_set_step(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto step = param(p, "target");
    if (!step) return fail(step.error());
    auto hook = audit_before(ctx, ex, **actor,
                             kAdd ? "permission_set.step.set" : "permission_set.step.remove",
                             "permission_set/" + *id + "/step/" + *step);
    Result<policy::StepPermissionSet> set;
    if constexpr (kAdd) {
      auto body = parse_object_body(request);
      if (!body) return fail(body.error());
      if (auto s = reject_unknown_fields(*body, {"access"}); !s) return fail(s.error());
      auto text = required_string(*body, "access");
      if (!text) return fail(text.error());
      auto access = policy::parse_access(*text);
      if (!access) return fail(Error::invalid_request("\"access\" must be \"read\" or \"edit\""));
      set = ctx.permissions->set_permission_set_step(**actor, *id, *step, *access, hook);
    } else {
      set = ctx.permissions->remove_permission_set_step(**actor, *id, *step, hook);
    }
    if (!set) return fail(set.error());
    return ok(200, permission_set_to_json(*set), **actor);
  }());
}

// --- roles ----------------------------------------------------------------------------------

Result<std::vector<std::string>> string_list(const Json& body, std::string_view key) {
  std::vector<std::string> out;
  auto it = body.find(std::string(key));
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return fail(
        Error::invalid_request("field \"" + std::string(key) + "\" must be an array of strings"));
  }
  for (const Json& item : *it) {
    if (!item.is_string()) {
      return fail(
          Error::invalid_request("field \"" + std::string(key) + "\" must be an array of strings"));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Response create_role(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto admin = admin_body(ex, {"name", "modules", "permission_sets"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    auto name = required_string(body, "name");
    if (!name) return fail(name.error());
    auto modules = string_list(body, "modules");
    if (!modules) return fail(modules.error());
    auto sets = string_list(body, "permission_sets");
    if (!sets) return fail(sets.error());
    auto role =
        ctx.permissions->create_role(*actor, {*name, std::move(*modules), std::move(*sets)},
                                     audit_before(ctx, ex, *actor, "role.create", "role/" + *name));
    if (!role) return fail(role.error());
    return ok(201, role_to_json(*role), *actor);
  }());
}

Response list_roles(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto roles = ctx.permissions->list_roles(**actor);
    if (!roles) return fail(roles.error());
    Json list = Json::array();
    for (const auto& role : *roles) list.push_back(role_to_json(role));
    return ok(200, Json{{"roles", std::move(list)}}, **actor);
  }());
}

Response get_role(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto role = ctx.permissions->get_role(**actor, *id);
    if (!role) return fail(role.error());
    auto members = ctx.permissions->role_members(**actor, role->id);
    if (!members) return fail(members.error());
    Json out = role_to_json(*role);
    out["members"] = *members;
    return ok(200, out, **actor);
  }());
}

Response delete_role(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto done = ctx.permissions->delete_role(
        **actor, *id, audit_before(ctx, ex, **actor, "role.delete", "role/" + *id));
    if (!done) return fail(done.error());
    Response r = Response::no_content();
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

// PUT/DELETE /api/v1/roles/{id}/modules/{module} and .../permission-sets/{set}.
template <bool kAdd, bool kModule>
Response role_link(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto id = param(p, "id");
    if (!id) return fail(id.error());
    auto target = param(p, "target");
    if (!target) return fail(target.error());
    const std::string action = std::string("role.") + (kModule ? "module." : "permission_set.") +
                               (kAdd ? "add" : "remove");
    auto hook = audit_before(ctx, ex, **actor, action,
                             "role/" + *id + (kModule ? "/module/" : "/permission_set/") + *target);
    Result<policy::Role> role;
    if constexpr (kModule && kAdd) {
      role = ctx.permissions->add_role_module(**actor, *id, *target, hook);
    } else if constexpr (kModule) {
      role = ctx.permissions->remove_role_module(**actor, *id, *target, hook);
    } else if constexpr (kAdd) {
      role = ctx.permissions->add_role_permission_set(**actor, *id, *target, hook);
    } else {
      role = ctx.permissions->remove_role_permission_set(**actor, *id, *target, hook);
    }
    if (!role) return fail(role.error());
    return ok(200, role_to_json(*role), **actor);
  }());
}

// --- per user -----------------------------------------------------------------------------------

enum class UserGrant { kRole, kEntitlement, kBuildAccess };

template <UserGrant kGrant, bool kAdd>
Response user_grant(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto user = param(p, "id");
    if (!user) return fail(user.error());
    auto target = param(p, "target");
    if (!target) return fail(target.error());
    policy::Access access = policy::Access::kRead;
    if constexpr (kGrant == UserGrant::kEntitlement && kAdd) {
      auto body = parse_object_body(request);
      if (!body) return fail(body.error());
      if (auto s = reject_unknown_fields(*body, {"access"}); !s) return fail(s.error());
      auto text = required_string(*body, "access");
      if (!text) return fail(text.error());
      auto parsed = policy::parse_access(*text);
      if (!parsed) return fail(Error::invalid_request("\"access\" must be \"read\" or \"edit\""));
      access = *parsed;
    }
    std::string_view noun = kGrant == UserGrant::kRole          ? "role"
                            : kGrant == UserGrant::kEntitlement ? "entitlement"
                                                                : "build_access";
    auto hook =
        audit_before(ctx, ex, **actor, "user." + std::string(noun) + (kAdd ? ".grant" : ".revoke"),
                     "user/" + *user + "/" + std::string(noun) + "/" + *target);
    Result<policy::UserGrants> grants;
    PermissionService& ps = *ctx.permissions;
    if constexpr (kGrant == UserGrant::kRole) {
      grants = kAdd ? ps.grant_role(**actor, *user, *target, hook)
                    : ps.revoke_role(**actor, *user, *target, hook);
    } else if constexpr (kGrant == UserGrant::kEntitlement) {
      grants = kAdd ? ps.grant_entitlement(**actor, *user, *target, access, hook)
                    : ps.revoke_entitlement(**actor, *user, *target, hook);
    } else {
      grants = kAdd ? ps.grant_build_access(**actor, *user, *target, hook)
                    : ps.revoke_build_access(**actor, *user, *target, hook);
    }
    if (!grants) return fail(grants.error());
    return ok(200, grants_to_json(*grants), **actor);
  }());
}

Response user_grants(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto user = param(p, "id");
    if (!user) return fail(user.error());
    // Admin, or the user themselves.
    auto target = ctx.users.get(**actor, *user);
    if (!target) return fail(target.error());
    auto grants = ctx.permissions->grants_of(target->id);
    if (!grants) return fail(grants.error());
    return ok(200, grants_to_json(*grants), **actor);
  }());
}

Response user_permissions(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& p = ex.params();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto user = param(p, "id");
    if (!user) return fail(user.error());
    auto permissions = ctx.permissions->effective_permissions(**actor, *user);
    if (!permissions) return fail(permissions.error());
    return ok(200, effective_permissions_to_json(*permissions), **actor);
  }());
}

Response list_modules(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    return ok(200, Json{{"modules", ctx.permissions->modules()}}, **actor);
  }());
}

}  // namespace

std::vector<pipeline::RouteEntry> policy_routes(const ApiContext& ctx) {
  std::vector<pipeline::RouteEntry> out;
  if (ctx.permissions == nullptr) return out;
  // ADMIN only, except reading one's own grants, permissions and the module
  // list (the service decides those); admin changes wait for a durable
  // commit and their write-ahead audit record: kBlocking.
  auto add = [&](std::string method, std::string pattern, bool admin,
                 Response (*fn)(const ApiContext&, pipeline::Exchange&)) {
    // Changes note their own record (durably, before they apply); this one
    // names reads and refusals before the handler.
    std::string action = method == "GET" ? "policy.read" : "policy.change";
    out.push_back(api_route(ctx, std::move(method), std::move(pattern), http::Dispatch::kBlocking,
                            admin, fn, std::move(action)));
  };
  add("GET", "/api/v1/modules", false, list_modules);
  add("POST", "/api/v1/applications", true, create_application);
  add("GET", "/api/v1/applications", false, list_applications);
  add("GET", "/api/v1/applications/{id}", false, get_application);
  add("POST", "/api/v1/applications/{id}/steps", true, add_step);
  add("POST", "/api/v1/permission-sets", true, create_permission_set);
  add("GET", "/api/v1/permission-sets", false, list_permission_sets);
  add("GET", "/api/v1/permission-sets/{id}", false, get_permission_set);
  add("PUT", "/api/v1/permission-sets/{id}/steps/{target}", true, permission_set_step<true>);
  add("DELETE", "/api/v1/permission-sets/{id}/steps/{target}", true, permission_set_step<false>);
  add("POST", "/api/v1/roles", true, create_role);
  add("GET", "/api/v1/roles", false, list_roles);
  add("GET", "/api/v1/roles/{id}", false, get_role);
  add("DELETE", "/api/v1/roles/{id}", true, delete_role);
  add("PUT", "/api/v1/roles/{id}/modules/{target}", true, role_link<true, true>);
  add("DELETE", "/api/v1/roles/{id}/modules/{target}", true, role_link<false, true>);
  add("PUT", "/api/v1/roles/{id}/permission-sets/{target}", true, role_link<true, false>);
  add("DELETE", "/api/v1/roles/{id}/permission-sets/{target}", true, role_link<false, false>);
  add("PUT", "/api/v1/users/{id}/roles/{target}", true, user_grant<UserGrant::kRole, true>);
  add("DELETE", "/api/v1/users/{id}/roles/{target}", true, user_grant<UserGrant::kRole, false>);
  add("PUT", "/api/v1/users/{id}/entitlements/{target}", true,
      user_grant<UserGrant::kEntitlement, true>);
  add("DELETE", "/api/v1/users/{id}/entitlements/{target}", true,
      user_grant<UserGrant::kEntitlement, false>);
  add("PUT", "/api/v1/users/{id}/build-access/{target}", true,
      user_grant<UserGrant::kBuildAccess, true>);
  add("DELETE", "/api/v1/users/{id}/build-access/{target}", true,
      user_grant<UserGrant::kBuildAccess, false>);
  add("GET", "/api/v1/users/{id}/grants", false, user_grants);
  add("GET", "/api/v1/users/{id}/permissions", false, user_permissions);
  return out;
}

}  // namespace latchkey::api
