#include "api/user_handlers.h"

#include <optional>

#include "api/audit_hooks.h"
#include "api/event_publishing.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "api/user_json.h"

namespace latchkey::api {
namespace {

Result<http::Response> user_response(const ApiContext& ctx, int status, const User& user,
                                     const Principal& actor) {
  auto client_id = ctx.users.client_id_of(user.id);
  if (!client_id) return fail(client_id.error());
  http::Response r = json_response(status, user_to_json(user, *client_id));
  r.principal_for_log = actor.user_id;
  return r;
}

// An admin's JSON request: the caller authenticated and holding ADMIN (so
// that a non-admin learns nothing from body validation), then the body
// parsed with only `fields` allowed.
struct AdminRequest {
  std::shared_ptr<const Principal> actor;
  Json body;
};

Result<AdminRequest> admin_json_request(const pipeline::Exchange& ex,
                                        std::initializer_list<std::string_view> fields) {
  [[maybe_unused]] const http::Request& request = ex.request();
  auto actor = verified_caller(ex);
  if (!actor) return fail(actor.error());
  if (auto s = require_admin(**actor); !s) return fail(s.error());
  auto body = parse_object_body(request);
  if (!body) return fail(body.error());
  if (auto s = reject_unknown_fields(*body, fields); !s) return fail(s.error());
  return AdminRequest{std::move(*actor), std::move(*body)};
}

// The admin change `action` on `resource`, stored durably before it is
// applied (audit_hooks.h).
Status audit_change(const ApiContext& ctx, pipeline::Exchange& ex, const Principal& actor,
                    std::string action, std::string resource) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return audit_admin_change(
      ctx, ex, audit_event(ctx, request, &actor, std::move(action), std::move(resource)));
}

// A change recorded by audit_change() that was then refused or failed.
void audit_failed(const ApiContext& ctx, pipeline::Exchange& ex, const Principal& actor,
                  std::string action, std::string resource, const Error& error) {
  [[maybe_unused]] const http::Request& request = ex.request();
  AuditEvent event = audit_event(ctx, request, &actor, std::move(action), std::move(resource));
  event.decision = AuditDecision::kDeny;
  event.reason = error.reason.empty() ? "failed" : error.reason;
  audit(ex, std::move(event));
}

}  // namespace

http::Response create_user(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto admin = admin_json_request(ex, {"name", "type", "api_access"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    auto name = optional_string(body, "name");
    if (!name) return fail(name.error());
    if (!*name) return fail(Error::invalid_request("field \"name\" is required"));
    auto type_text = optional_string(body, "type");
    if (!type_text) return fail(type_text.error());
    if (!*type_text)
      return fail(Error::invalid_request("field \"type\" is required: human or service"));
    const auto type = parse_user_type(**type_text);
    if (!type)
      return fail(Error::invalid_request("field \"type\" must be \"human\" or \"service\""));
    auto api_access = optional_bool(body, "api_access");
    if (!api_access) return fail(api_access.error());

    const std::string resource = "user_name/" + **name;  // the id does not exist yet
    if (auto s = audit_change(ctx, ex, *actor, "user.create", resource); !s) {
      return fail(s.error());
    }
    auto user = ctx.users.create(*actor, {**name, *type, api_access->value_or(false)});
    if (!user) {
      audit_failed(ctx, ex, *actor, "user.create", resource, user.error());
      return fail(user.error());
    }
    return user_response(ctx, 201, *user, *actor);
  }());
}

http::Response list_users(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto users = ctx.users.list(**actor);
    if (!users) return fail(users.error());
    audit(ex, audit_event(ctx, request, actor->get(), "user.list", "users"));
    Json list = Json::array();
    for (const User& u : *users) {
      auto client_id = ctx.users.client_id_of(u.id);
      if (!client_id) return fail(client_id.error());
      list.push_back(user_to_json(u, *client_id));
    }
    http::Response r = json_response(200, Json{{"users", std::move(list)}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response get_user(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto user = ctx.users.get(**actor, params.get("id"));
    if (!user) return fail(user.error());
    audit(ex, audit_event(ctx, request, actor->get(), "user.get", "user/" + user->id));
    return user_response(ctx, 200, *user, **actor);
  }());
}

http::Response update_user(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto admin = admin_json_request(ex, {"disabled", "api_access"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    UserUpdate update;
    auto disabled = optional_bool(body, "disabled");
    if (!disabled) return fail(disabled.error());
    auto api_access = optional_bool(body, "api_access");
    if (!api_access) return fail(api_access.error());
    update.disabled = *disabled;
    update.api_access = *api_access;
    if (!update.disabled && !update.api_access) {
      return fail(
          Error::invalid_request("nothing to change: send \"disabled\" and/or \"api_access\""));
    }
    const std::string resource = "user/" + std::string(params.get("id"));
    std::string action = "user.update";
    if (update.disabled) action += *update.disabled ? ".disable" : ".enable";
    if (update.api_access) action += *update.api_access ? ".api_access_on" : ".api_access_off";
    if (auto s = audit_change(ctx, ex, *actor, action, resource); !s) return fail(s.error());
    // Whether this update disables an enabled user (user.disabled): the
    // state before, read just before the change.
    std::optional<User> before;
    if (update.disabled.value_or(false) && ctx.events != nullptr) {
      if (auto read = ctx.store.get_user(params.get("id")); read) before = std::move(*read);
    }
    auto user = ctx.users.update(*actor, params.get("id"), update);
    if (!user) {
      audit_failed(ctx, ex, *actor, action, resource, user.error());
      return fail(user.error());
    }
    if (before && !before->disabled && user->disabled) {
      events::Event event;
      event.type = events::EventType::kUserDisabled;
      event.occurred_at = user->updated_at;
      event.data = {{"user_id", user->id}, {"by", actor->user_id}};
      // Two concurrent disables read the same `before`: one event.
      event.dedup_key =
          "user.disabled:" + user->id + ":" + std::to_string(to_unix_millis(before->updated_at));
      publish_event(ctx, event);
    }
    return user_response(ctx, 200, *user, *actor);
  }());
}

http::Response reset_access_key(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const std::string resource =
        "user/" + std::string(params.get("id") == "me" ? (*actor)->user_id : params.get("id"));
    if (auto s = audit_change(ctx, ex, **actor, "user.access_key.reset", resource); !s) {
      return fail(s.error());
    }
    auto issued = ctx.users.reset_access_key(**actor, params.get("id"));
    if (!issued) {
      audit_failed(ctx, ex, **actor, "user.access_key.reset", resource, issued.error());
      return fail(issued.error());
    }
    http::Response r = json_response(200, Json{{"user_id", issued->user_id},
                                               {"client_id", issued->client_id},
                                               {"client_secret", issued->client_secret}});
    r.set_header("Cache-Control", "no-store");
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response revoke_user_tokens(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto user = ctx.users.get(**actor, params.get("id"));
    if (!user) return fail(user.error());
    if (auto s = audit_change(ctx, ex, **actor, "user.tokens.revoke", "user/" + user->id); !s) {
      return fail(s.error());
    }
    auto revoked = ctx.account_tokens.revoke_all_of_user(user->id);
    if (!revoked) {
      audit_failed(ctx, ex, **actor, "user.tokens.revoke", "user/" + user->id, revoked.error());
      return fail(revoked.error());
    }
    http::Response r = json_response(200, Json{{"revoked", *revoked}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
