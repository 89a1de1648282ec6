#include "api/origin_handlers.h"

#include <spdlog/spdlog.h>

#include "accounts/origin_restriction.h"
#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/origin_json.h"
#include "api/request_auth.h"
#include "api/user_json.h"
#include "audit/audit_log.h"
#include "core/redaction.h"
#include "events/event_sink.h"
#include "keys/key_service.h"
#include "metrics/metrics.h"

namespace latchkey::api {
namespace {

// {"cidrs": [...]}: an array of strings (empty: anywhere). The entries are
// validated by the services (accounts/origin_restriction.h).
Result<std::vector<std::string>> cidrs_of_body(const http::Request& request) {
  auto body = parse_object_body(request);
  if (!body) return fail(body.error());
  if (auto s = reject_unknown_fields(*body, {"cidrs"}); !s) return fail(s.error());
  return cidr_list_field(*body, "cidrs", /*required=*/true);
}

metrics::Counter& interference_alarms() {
  static metrics::Counter& counter = metrics::default_registry().counter(
      "latchkey_token_interference_total",
      "Token-interference alarms: one user's account token regenerated more than "
      "token_interference_threshold times within an hour from several addresses (at most one "
      "alarm per user and hour).");
  return counter;
}

// Registered when the program starts: /metrics shows 0 before any alarm.
[[maybe_unused]] const metrics::Counter& registered_at_start = interference_alarms();

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

}  // namespace

Result<std::vector<std::string>> cidr_list_field(const Json& body, std::string_view field,
                                                 bool required) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    if (!required) return std::vector<std::string>();
    return fail(Error::invalid_request("field \"" + std::string(field) +
                                       "\" is required: an array of CIDR blocks such as "
                                       "[\"10.0.0.0/8\", \"2001:db8::/32\"] (empty: anywhere)"));
  }
  if (!it->is_array()) {
    return fail(Error::invalid_request("field \"" + std::string(field) +
                                       "\" must be an array of CIDR blocks (strings)"));
  }
  if (it->size() > kMaxAllowedOrigins) {
    return fail(Error::invalid_request("at most " + std::to_string(kMaxAllowedOrigins) +
                                       " CIDR blocks are allowed, got " +
                                       std::to_string(it->size()))
                    .with_reason("too_many_origins"));
  }
  std::vector<std::string> cidrs;
  cidrs.reserve(it->size());
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& entry = (*it)[i];
    if (!entry.is_string()) {
      return fail(Error::invalid_request(std::string(field) + "[" + std::to_string(i) +
                                         "] must be a string such as \"10.0.0.0/8\"")
                      .with_reason("invalid_cidr")
                      .with_detail("index", std::to_string(i)));
    }
    cidrs.push_back(entry.get<std::string>());
  }
  return cidrs;
}

Result<Json> interference_json(const ApiContext& ctx, std::string_view user_id) {
  auto found = ctx.store.find_token_interference(user_id);
  if (!found) return fail(found.error());
  if (!*found) return Json(nullptr);
  const TokenInterference& t = **found;
  const Duration window = ctx.account_tokens.options().interference.window;
  return Json{{"first_seen", format_rfc3339(t.first_seen)},
              {"last_seen", format_rfc3339(t.last_seen)},
              {"regenerations", t.regenerations},
              {"window_seconds", std::chrono::duration_cast<std::chrono::seconds>(window).count()},
              {"origins", t.origins},
              {"client_id", t.client_id},
              {"alarmed_at", format_rfc3339(t.alarmed_at)},
              {"alarms", t.alarms},
              // Still going on: met the rule within the last window.
              {"active", t.last_seen > ctx.clock.now() - window}};
}

http::Response set_user_allowed_origins(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    // ADMIN only (the route says so; the service checks again).
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto cidrs = cidrs_of_body(request);
    if (!cidrs) return fail(cidrs.error());
    // Validated before the durable audit record, so that a bad entry is a
    // plain 400.
    auto normalized = normalize_allowed_origins(*cidrs);
    if (!normalized) return fail(normalized.error());
    const std::string resource =
        "user/" + std::string(params.get("id") == "me" ? (*actor)->user_id : params.get("id"));
    const std::string action =
        normalized->empty() ? "user.allowed_origins.clear" : "user.allowed_origins.set";
    if (auto s =
            audit_admin_change(ctx, ex, audit_event(ctx, request, actor->get(), action, resource));
        !s) {
      return fail(s.error());
    }
    auto user = ctx.users.set_allowed_origins(**actor, params.get("id"), *normalized);
    if (!user) {
      AuditEvent failed = audit_event(ctx, request, actor->get(), action, resource);
      failed.decision = AuditDecision::kDeny;
      failed.reason = user.error().reason.empty() ? "failed" : user.error().reason;
      audit(ex, std::move(failed));
      return fail(user.error());
    }
    auto client_id = ctx.users.client_id_of(user->id);
    if (!client_id) return fail(client_id.error());
    http::Response r = json_response(200, user_to_json(*user, *client_id));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

http::Response set_key_allowed_origins(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  const http::PathParams& params = ex.params();
  return respond([&]() -> Result<http::Response> {
    if (ctx.keys == nullptr) {
      return fail(Error::unavailable("API keys are not enabled on this server"));
    }
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    auto cidrs = cidrs_of_body(request);
    if (!cidrs) return fail(cidrs.error());
    std::string action = "api_key.allowed_origins";
    auto key =
        ctx.keys->set_allowed_origins(**actor, params.get("id"), *cidrs, [&](const ApiKey& k) {
          return audit_admin_change(
              ctx, ex,
              audit_event(ctx, request, actor->get(), action,
                          "api_key/" + k.id + " " + k.masked + " of user/" + k.user_id));
        });
    if (!key) return fail(key.error());
    http::Response r = json_response(200, key_json(ctx, *key));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

void report_interference(const ApiContext& ctx, const http::Request& request,
                         const TokenInterference& alarm) {
  interference_alarms().inc();
  const std::string origins = join(alarm.origins);
  spdlog::warn(
      "token interference: user {} regenerated its account token {} times within an hour from "
      "{} (client {}); two clients probably share its credentials",
      alarm.user_id, alarm.regenerations, origins, alarm.client_id);
  if (ctx.audit != nullptr) {
    AuditEvent event =
        audit_event(ctx, request, nullptr, "account.token.interference", "user/" + alarm.user_id);
    event.principal_id = alarm.user_id;
    event.credential = "client " + alarm.client_id;
    event.reason = "token_interference";
    ctx.audit->record(std::move(event));
  }
  if (ctx.events != nullptr) {
    events::Event event;
    event.type = events::EventType::kTokenInterference;
    event.occurred_at = alarm.alarmed_at;
    event.data = {{"user_id", alarm.user_id},
                  {"client_id", alarm.client_id},
                  {"regenerations", std::to_string(alarm.regenerations)},
                  {"origins", origins},
                  {"first_seen", format_rfc3339(alarm.first_seen)},
                  {"last_seen", format_rfc3339(alarm.last_seen)}};
    // One event per user and alarm (the store raises at most one an hour).
    event.dedup_key = "token.interference:" + alarm.user_id + ":" +
                      std::to_string(to_unix_millis(alarm.alarmed_at));
    if (auto s = ctx.events->publish(event); !s) {
      spdlog::warn("publishing token.interference for user {} failed: {}", alarm.user_id,
                   s.error().description);
    }
  }
}

}  // namespace latchkey::api
