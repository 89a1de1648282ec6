#include "api/key_handlers.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/origin_json.h"
#include "api/request_auth.h"
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
  return Json{{"id", key.id},
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
}

// The listed form plus "effective_limits": what the limiter applies to the
// key now (override > role > default), when limits are enabled.
Json key_to_json(const ApiContext& ctx, const ApiKey& key) {
  Json out = key_to_json(key);
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
    auto key = (*service)->deactivate(**actor, params.get("id"), [&](const ApiKey& k) {
      return audit_admin_change(
          ctx, ex,
          audit_event(ctx, request, actor->get(), "api_key.deactivate", audited_resource(k)));
    });
    if (!key) return fail(key.error());
    http::Response r = json_response(200, key_to_json(*key));
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
    const auto rows = keys::build_key_report(*listed, now, (*service)->options().expiry_warning);
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
        list.push_back(Json{{"user_id", row.user_id},
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
                            {"expiring_soon", row.expiring_soon}});
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
