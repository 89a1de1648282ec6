#include "api/user_handlers.h"

#include <optional>

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/event_publishing.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "api/rotation.h"
#include "api/user_json.h"
#include "audit/audit_query.h"

namespace latchkey::api {
namespace {

// A user as the admin API shows it: user_to_json plus the current Client
// Secret's age (null without credentials) and, for service accounts, owner,
// contact, description and expiry (docs/secret-age.md, docs/service-accounts.md).
Result<Json> full_user_json(const ApiContext& ctx, const User& user) {
  auto credential = ctx.users.credential_of(user.id);
  if (!credential) return fail(credential.error());
  const std::optional<std::string> client_id =
      *credential ? std::optional<std::string>((*credential)->client_id) : std::nullopt;
  Json json = user_to_json(user, client_id);
  json["secret"] =
      *credential ? credential_age_json(ctx, (*credential)->created_at) : Json(nullptr);
  add_service_account_fields(json, user);
  return json;
}

Result<http::Response> user_response(const ApiContext& ctx, int status, const User& user,
                                     const Principal& actor) {
  auto json = full_user_json(ctx, user);
  if (!json) return fail(json.error());
  http::Response r = json_response(status, *json);
  r.principal_for_log = actor.user_id;
  return r;
}

// A text field of a PATCH: absent (nullopt), null (clears: ""), or a string.
Result<std::optional<std::string>> nullable_text(const Json& body, std::string_view key) {
  const auto it = body.find(key);
  if (it == body.end()) return std::optional<std::string>();
  if (it->is_null()) return std::optional<std::string>(std::string());
  if (!it->is_string()) {
    return fail(
        Error::invalid_request("field \"" + std::string(key) + "\" must be a string or null"));
  }
  return std::optional<std::string>(it->get<std::string>());
}

// "expires_at": absent (nullopt), null (no expiry), or an RFC 3339 time.
Result<std::optional<std::optional<Instant>>> nullable_time(const Json& body,
                                                            std::string_view key) {
  using Out = std::optional<std::optional<Instant>>;
  const auto it = body.find(key);
  if (it == body.end()) return Out();
  if (it->is_null()) return Out(std::optional<Instant>());
  const auto at = it->is_string() ? audit::parse_rfc3339(it->get<std::string>()) : std::nullopt;
  if (!at) {
    return fail(Error::invalid_request("field \"" + std::string(key) +
                                       "\" must be an RFC 3339 time such as "
                                       "2027-01-31T00:00:00Z, or null"));
  }
  return Out(*at);
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
    auto admin = admin_json_request(
        ex, {"name", "type", "api_access", "owner", "contact", "description", "expires_at"});
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
    CreateUserRequest create{**name, *type, api_access->value_or(false)};
    for (auto [key, out] :
         {std::pair{"owner", &create.owner}, std::pair{"contact", &create.contact},
          std::pair{"description", &create.description}}) {
      auto text = nullable_text(body, key);
      if (!text) return fail(text.error());
      if (*text) *out = std::move(**text);
    }
    auto expires_at = nullable_time(body, "expires_at");
    if (!expires_at) return fail(expires_at.error());
    if (*expires_at) create.expires_at = **expires_at;

    const std::string resource = "user_name/" + **name;  // the id does not exist yet
    if (auto s = audit_change(ctx, ex, *actor, "user.create", resource); !s) {
      return fail(s.error());
    }
    auto user = ctx.users.create(*actor, create);
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
      auto json = full_user_json(ctx, u);
      if (!json) return fail(json.error());
      list.push_back(std::move(*json));
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
    auto admin = admin_json_request(
        ex, {"disabled", "api_access", "owner", "contact", "description", "expires_at"});
    if (!admin) return fail(admin.error());
    const auto& [actor, body] = *admin;
    UserUpdate update;
    auto disabled = optional_bool(body, "disabled");
    if (!disabled) return fail(disabled.error());
    auto api_access = optional_bool(body, "api_access");
    if (!api_access) return fail(api_access.error());
    update.disabled = *disabled;
    update.api_access = *api_access;
    for (auto [key, out] :
         {std::pair{"owner", &update.owner}, std::pair{"contact", &update.contact},
          std::pair{"description", &update.description}}) {
      auto text = nullable_text(body, key);
      if (!text) return fail(text.error());
      *out = std::move(*text);
    }
    auto expires_at = nullable_time(body, "expires_at");
    if (!expires_at) return fail(expires_at.error());
    update.expires_at = *expires_at;
    const bool account_fields =
        update.owner || update.contact || update.description || update.expires_at;
    if (!update.disabled && !update.api_access && !account_fields) {
      return fail(Error::invalid_request(
          "nothing to change: send \"disabled\", \"api_access\", \"owner\", \"contact\", "
          "\"description\" and/or \"expires_at\""));
    }
    const std::string resource = "user/" + std::string(params.get("id"));
    std::string action = "user.update";
    if (update.disabled) action += *update.disabled ? ".disable" : ".enable";
    if (update.api_access) action += *update.api_access ? ".api_access_on" : ".api_access_off";
    if (account_fields) action += ".service_account";
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
    // docs/rotation.md: an optional overlap; none (no body) is seed 000's reset.
    auto overlap = previous_valid_for(request);
    if (!overlap) {
      // Who may not reset this secret hears that first (403/404, not 400).
      if (auto s = ctx.users.check_secret_change(**actor, params.get("id")); !s) {
        return fail(s.error());
      }
      return fail(overlap.error());
    }
    std::string resource =
        "user/" + std::string(params.get("id") == "me" ? (*actor)->user_id : params.get("id"));
    if (*overlap > Duration::zero()) {
      resource +=
          " previous_valid_for=" +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*overlap).count()) + "s";
    }
    if (auto s = audit_change(ctx, ex, **actor, "user.access_key.reset", resource); !s) {
      return fail(s.error());
    }
    auto issued = ctx.users.reset_access_key(**actor, params.get("id"), *overlap);
    if (!issued) {
      audit_failed(ctx, ex, **actor, "user.access_key.reset", resource, issued.error());
      return fail(issued.error());
    }
    if (issued->replaced) {
      const Instant lapse = issued->previous_secret_expires_at.value_or(issued->reset_at);
      publish(ctx, events::Event{.type = events::EventType::kSecretRotated,
                                 .occurred_at = issued->reset_at,
                                 .data = {{"client_id", issued->client_id},
                                          {"user_id", issued->user_id},
                                          {"previous_expires_at", format_rfc3339(lapse)}}});
    }
    Json body{{"user_id", issued->user_id},
              {"client_id", issued->client_id},
              {"client_secret", issued->client_secret}};
    if (issued->previous_secret_expires_at) {
      body["previous_secret_expires_at"] = format_rfc3339(*issued->previous_secret_expires_at);
    }
    http::Response r = json_response(200, body);
    r.set_header("Cache-Control", "no-store");
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response retire_previous_secret(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const std::string resource =
        "user/" + std::string(params.get("id") == "me" ? (*actor)->user_id : params.get("id"));
    const std::string action = "user.access_key.retire_previous";
    if (auto s = audit_change(ctx, ex, **actor, action, resource); !s) return fail(s.error());
    auto retired = ctx.users.retire_previous_secret(**actor, params.get("id"));
    if (!retired) {
      audit_failed(ctx, ex, **actor, action, resource, retired.error());
      return fail(retired.error());
    }
    const std::string lapsed = format_rfc3339(retired->previous_expires_at.value_or(Instant{}));
    publish(ctx, events::Event{.type = events::EventType::kSecretRotated,
                               .occurred_at = retired->previous_expires_at.value_or(Instant{}),
                               .data = {{"client_id", retired->client_id},
                                        {"user_id", retired->user_id},
                                        {"previous_expires_at", lapsed}}});
    http::Response r = json_response(200, Json{{"user_id", retired->user_id},
                                               {"client_id", retired->client_id},
                                               {"previous_secret_expires_at", lapsed}});
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
