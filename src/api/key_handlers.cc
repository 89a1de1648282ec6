#include "api/key_handlers.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/event_publishing.h"
#include "api/json_io.h"
#include "api/origin_json.h"
#include "api/request_auth.h"
#include "api/rotation.h"
#include "core/encoding.h"
#include "keys/key_report.h"
#include "keys/key_service.h"
#include "limits/limits.h"

namespace latchkey::api {
namespace {

Result<keys::KeyService*> key_service(const ApiContext& ctx) {
  if (ctx.keys == nullptr)
    return fail(Error::unavailable("API keys are not enabled on this server"));
  return ctx.keys;
}

Json optional_time(const std::optional<Instant>& at) {
  return at ? Json(format_rfc3339(*at)) : Json(nullptr);
}

Json optional_int_json(const std::optional<int>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// The listed form of a key: masked, never the full key. "limits" is the
// admin's per-key override (null fields: the role's or default limit
// applies; docs/rate-limits.md).
Json key_to_json(const ApiKey& key) {
  Json out{{"id", key.id},
           {"limits",
            Json{{"requests_per_minute", optional_int_json(key.limits.requests_per_minute)},
                 {"concurrent_per_route", optional_int_json(key.limits.concurrent_per_route)}}},
           {"user_id", key.user_id},
           {"name", key.name},
           {"masked", key.masked},
           {"role", key.role_id.empty() ? Json(nullptr) : Json(key.role_id)},
           {"scope", keys::scope_of(key)},
           {"status", to_string(key.status)},
           {"created_at", format_rfc3339(key.created_at)},
           {"expires_at", format_rfc3339(key.expires_at)},
           {"last_used_at", optional_time(key.last_used_at)},
           {"deactivated_at", optional_time(key.deactivated_at)},
           {"allowed_origins", key.allowed_origins}};
  // docs/rotation.md: only when set, so that other keys read as before.
  if (!key.replaced_by.empty()) out["replaced_by"] = key.replaced_by;
  if (!key.rerolled_from.empty()) out["rerolled_from"] = key.rerolled_from;
  if (key.lapses_at) out["lapses_at"] = format_rfc3339(*key.lapses_at);
  return out;
}

// The listed form plus "effective_limits": what the limiter applies to the
// key now (override > role > default), when limits are enabled.
Json key_to_json(const ApiContext& ctx, const ApiKey& key) {
  Json out = key_to_json(key);
  // Issue 14: the key's age and whether it is due for rotation (active keys).
  const Instant now = ctx.clock.now();
  const SecretAgePolicy& policy = secret_age_policy(ctx);
  const bool due = keys::key_rotation_due(key, now, policy);
  out["age_days"] = SecretAgePolicy::age_days(key.created_at, now);
  out["rotation_due"] = due;
  out["rotation_due_since"] =
      due ? Json(format_rfc3339(*policy.due_at(key.created_at))) : Json(nullptr);
  if (ctx.limits != nullptr && ctx.limits->policy != nullptr) {
    const limits::KeyLimits effective = ctx.limits->policy->for_key(key.id, key.role_id);
    out["effective_limits"] = Json{{"requests_per_minute", effective.requests_per_minute},
                                   {"concurrent_per_route", effective.concurrent_per_route}};
  }
  return out;
}

// The decoded value of query parameter `name`, if present.
std::optional<std::string> query_param(const http::Request& request, std::string_view name) {
  std::string_view query = request.query();
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        value += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() && hex_digit_value(raw[i + 1]) >= 0 &&
                 hex_digit_value(raw[i + 2]) >= 0) {
        value += static_cast<char>(hex_digit_value(raw[i + 1]) * 16 + hex_digit_value(raw[i + 2]));
        i += 2;
      } else {
        value += raw[i];
      }
    }
    return value;
  }
  return std::nullopt;
}

std::string audited_resource(const ApiKey& key) {
  return "api_key/" + key.id + " " + key.masked + " of user/" + key.user_id;
}

}  // namespace

http::Response create_api_key(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto body = parse_object_body(request);
    if (!body) return fail(body.error());
    if (auto s = reject_unknown_fields(
            *body, {"name", "role", "scope", "expires_in_days", "user_id", "allowed_origins"});
        !s) {
      return fail(s.error());
    }
    keys::CreateKeyRequest create;
    auto user_id = optional_string(*body, "user_id");
    if (!user_id) return fail(user_id.error());
    create.for_user_id = *user_id;
    auto name = optional_string(*body, "name");
    if (!name) return fail(name.error());
    auto role = optional_string(*body, "role");
    if (!role) return fail(role.error());
    auto scope = optional_string(*body, "scope");
    if (!scope) return fail(scope.error());
    auto days = optional_int(*body, "expires_in_days");
    if (!days) return fail(days.error());
    // seed 002: nobody creates a key for someone else; say so before any
    // other validation.
    if (create.for_user_id && *create.for_user_id != (*actor)->user_id &&
        *create.for_user_id != "me") {
      auto refused = (*service)->create(**actor, create);
      return fail(refused.error());
    }
    if (!*name) return fail(Error::invalid_request("field \"name\" is required"));
    create.name = **name;
    create.role_id = role->value_or("");
    if (*scope && **scope != "read" && **scope != "write") {
      return fail(Error::invalid_request("field \"scope\" must be \"read\" or \"write\""));
    }
    create.read_only = *scope && **scope == "read";
    if (!*days) {
      return fail(Error::invalid_request(
          "field \"expires_in_days\" is required: the key's validity in days, 1 to " +
          std::to_string((*service)->options().max_validity_days)));
    }
    const std::int64_t wanted = **days;
    create.expires_in_days =
        wanted > 100000 ? 100000 : (wanted < -1 ? -1 : static_cast<int>(wanted));
    // docs/origin-restrictions.md: validated and normalized by create().
    auto origins = cidr_list_field(*body, "allowed_origins", /*required=*/false);
    if (!origins) return fail(origins.error());
    create.allowed_origins = std::move(*origins);

    auto created = (*service)->create(**actor, create, [&](const ApiKey& key) {
      return audit_admin_change(
          ctx, ex,
          audit_event(ctx, request, actor->get(), "api_key.create", audited_resource(key)));
    });
    if (!created) return fail(created.error());
    publish_event(ctx,
                  key_event(events::EventType::kKeyCreated, created->key, created->key.created_at));
    Json out = key_to_json(created->key);
    out["api_key"] = created->api_key;  // seed 002: the one-time reveal
    http::Response r = json_response(201, out);
    r.set_header("Cache-Control", "no-store");
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response list_api_keys(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const auto user_id = query_param(request, "user_id");
    const auto all = query_param(request, "all");
    const bool all_users = all && (*all == "true" || *all == "1");
    auto listed = (*service)->list(
        **actor, user_id ? std::optional<std::string_view>(*user_id) : std::nullopt, all_users);
    if (!listed) return fail(listed.error());
    Json list = Json::array();
    for (const ApiKey& key : *listed) list.push_back(key_to_json(ctx, key));
    http::Response r = json_response(200, Json{{"keys", std::move(list)}});
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response deactivate_api_key(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const Instant started = ctx.clock.now();
    auto key = (*service)->deactivate(**actor, params.get("id"), [&](const ApiKey& k) {
      return audit_admin_change(
          ctx, ex,
          audit_event(ctx, request, actor->get(), "api_key.deactivate", audited_resource(k)));
    });
    if (!key) return fail(key.error());
    // Deactivation is idempotent; only this call's deactivation is news.
    if (key->deactivated_at && *key->deactivated_at >= started) {
      events::Event event =
          key_event(events::EventType::kKeyDeactivated, *key, *key->deactivated_at);
      event.data.emplace_back("by", (*actor)->user_id);
      publish_event(ctx, event);
    }
    http::Response r = json_response(200, key_to_json(*key));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response get_api_key(const ApiContext& ctx, pipeline::Exchange& ex) {
  [[maybe_unused]] const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto key = (*service)->get(**actor, params.get("id"));
    if (!key) return fail(key.error());
    audit(ex, audit_event(ctx, request, actor->get(), "api_key.get", audited_resource(*key)));
    http::Response r = json_response(200, key_to_json(ctx, *key));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response reroll_api_key(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto overlap = previous_valid_for(request);
    if (!overlap) {
      // Who may not reroll this key hears that first (404/403, not 400).
      if (auto s = (*service)->check_reroll(**actor, params.get("id")); !s) return fail(s.error());
      return fail(overlap.error());
    }
    const std::string overlap_text =
        " previous_valid_for=" +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*overlap).count()) + "s";
    auto rerolled = (*service)->reroll(**actor, params.get("id"), *overlap, [&](const ApiKey& k) {
      return audit_admin_change(ctx, ex,
                                audit_event(ctx, request, actor->get(), "api_key.reroll",
                                            audited_resource(k) + overlap_text));
    });
    if (!rerolled) return fail(rerolled.error());
    const ApiKey& old_key = rerolled->old_key;
    const ApiKey& new_key = rerolled->created.key;
    const std::string lapses_at = format_rfc3339(old_key.lapses_at.value_or(new_key.created_at));
    publish(ctx, events::Event{.type = events::EventType::kKeyRerolled,
                               .occurred_at = new_key.created_at,
                               .data = {{"key_id", old_key.id},
                                        {"new_key_id", new_key.id},
                                        {"user_id", new_key.user_id},
                                        {"lapses_at", lapses_at}}});
    // As key creation answers, plus when the old key stops working.
    Json out = key_to_json(new_key);
    out["api_key"] = rerolled->created.api_key;  // seed 002: the one-time reveal
    out["previous_key_lapses_at"] = lapses_at;
    http::Response r = json_response(201, out);
    r.set_header("Cache-Control", "no-store");
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response set_api_key_limits(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    // Admin-only: say so before looking at the body.
    if (!(*actor)->is_admin()) {
      return fail(
          Error::forbidden("only an administrator (with an account token) sets key limits"));
    }
    auto body = parse_object_body(request);
    if (!body) return fail(body.error());
    if (auto s = reject_unknown_fields(*body, {"requests_per_minute", "concurrent_per_route"});
        !s) {
      return fail(s.error());
    }
    KeyLimitOverride limits;
    for (auto [name, field] : {std::pair{"requests_per_minute", &limits.requests_per_minute},
                               {"concurrent_per_route", &limits.concurrent_per_route}}) {
      auto value = optional_int(*body, name);
      if (!value) return fail(value.error());
      if (*value) {
        // Out-of-range values are refused by set_limits(); clamp only to fit an int.
        *field = static_cast<int>(std::clamp<std::int64_t>(**value, -1, 2'000'000'000));
      }
    }
    auto key = (*service)->set_limits(**actor, params.get("id"), limits, [&](const ApiKey& k) {
      return audit_admin_change(
          ctx, ex, audit_event(ctx, request, actor->get(), "api_key.limits", audited_resource(k)));
    });
    if (!key) return fail(key.error());
    http::Response r = json_response(200, key_to_json(ctx, *key));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response api_key_report(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto service = key_service(ctx);
    if (!service) return fail(service.error());
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto listed = (*service)->report(**actor);
    if (!listed) return fail(listed.error());
    const Instant now = ctx.clock.now();
    auto rows = keys::build_key_report(*listed, now, (*service)->options().expiry_warning,
                                       secret_age_policy(ctx));
    // Issue 14: who owns the service accounts behind the keys.
    auto users = ctx.users.list(**actor);
    if (!users) return fail(users.error());
    std::map<std::string, const User*, std::less<>> by_id;
    for (const User& u : *users) by_id[u.id] = &u;
    for (keys::KeyReportRow& row : rows) {
      auto it = by_id.find(row.user_id);
      if (it == by_id.end() || it->second->type != UserType::kService) continue;
      row.account_owner = it->second->owner;
      row.account_contact = it->second->contact;
      row.account_expires_at = it->second->expires_at;
    }
    audit(ex, audit_event(ctx, request, actor->get(), "api_key.report", "reports/api-keys"));

    const auto format = query_param(request, "format");
    const auto accept = request.header("Accept").value_or("");
    const bool csv = format ? *format == "csv" : accept.find("text/csv") != std::string_view::npos;
    if (format && *format != "csv" && *format != "json") {
      return fail(Error::invalid_request("query parameter \"format\" must be \"json\" or \"csv\""));
    }
    http::Response r;
    if (csv) {
      r.status = 200;
      r.body = keys::key_report_csv(rows);
      r.set_header("Content-Type", "text/csv; charset=utf-8");
      r.set_header("Content-Disposition", "attachment; filename=\"api-keys.csv\"");
    } else {
      Json list = Json::array();
      for (const keys::KeyReportRow& row : rows) {
        list.push_back(Json{
            {"user_id", row.user_id},
            {"key_id", row.key_id},
            {"name", row.name},
            {"masked_key", row.masked_key},
            {"status", to_string(row.status)},
            {"role", row.role_id.empty() ? Json(nullptr) : Json(row.role_id)},
            {"scope", row.scope},
            {"created_at", format_rfc3339(row.created_at)},
            {"expires_at", format_rfc3339(row.expires_at)},
            {"age_days", row.age_days},
            {"last_used_at", optional_time(row.last_used_at)},
            {"expiring_soon", row.expiring_soon},
            {"rotation_due", row.rotation_due},
            {"rotation_due_since", optional_time(row.rotation_due_since)},
            {"owner", row.account_owner.empty() ? Json(nullptr) : Json(row.account_owner)},
            {"contact", row.account_contact.empty() ? Json(nullptr) : Json(row.account_contact)},
            {"account_expires_at", optional_time(row.account_expires_at)}});
      }
      r = json_response(200,
                        Json{{"generated_at", format_rfc3339(now)}, {"keys", std::move(list)}});
    }
    r.set_header("Cache-Control", "no-store");
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

Json key_json(const ApiContext& ctx, const ApiKey& key) { return key_to_json(ctx, key); }

}  // namespace latchkey::api
