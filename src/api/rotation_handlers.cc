#include "api/rotation_handlers.h"

#include "api/audit_hooks.h"
#include "api/credential_age.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "audit/audit_query.h"
#include "keys/key_service.h"
#include "keys/rotation_report.h"

namespace latchkey::api {
namespace {

Json text_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

Json time_or_null(const std::optional<Instant>& at) {
  return at ? Json(format_rfc3339(*at)) : Json(nullptr);
}

Json row_to_json(const keys::RotationReportRow& row) {
  return Json{{"kind", keys::to_string(row.kind)},
              {"reason", keys::to_string(row.reason)},
              {"user_id", row.user_id},
              {"user_name", row.user_name},
              {"owner", text_or_null(row.owner)},
              {"contact", text_or_null(row.contact)},
              {"client_id", text_or_null(row.client_id)},
              {"key_id", text_or_null(row.key_id)},
              {"key_name", text_or_null(row.key_name)},
              {"masked_key", text_or_null(row.masked_key)},
              {"created_at", format_rfc3339(row.created_at)},
              {"age_days", row.age_days},
              {"due_since", time_or_null(row.due_since)},
              {"expires_at", time_or_null(row.expires_at)}};
}

}  // namespace

http::Response rotation_report(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    if (auto s = require_admin(**actor); !s) return fail(s.error());
    auto query = audit::parse_query_string(request.query(), {"format"});
    if (!query) return fail(query.error());
    const auto format = audit::param(*query, "format");
    if (format && *format != "csv" && *format != "json") {
      return fail(Error::invalid_request("query parameter \"format\" must be \"json\" or \"csv\""));
    }
    auto users = ctx.users.list(**actor);
    if (!users) return fail(users.error());
    std::vector<ClientCredential> secrets;
    for (const User& user : *users) {
      auto credential = ctx.users.credential_of(user.id);
      if (!credential) return fail(credential.error());
      if (*credential) secrets.push_back(std::move(**credential));
    }
    std::vector<ApiKey> api_keys;
    if (ctx.keys != nullptr) {
      auto listed = ctx.keys->report(**actor);
      if (!listed) return fail(listed.error());
      api_keys = std::move(*listed);
    }
    const Instant now = ctx.clock.now();
    const SecretAgePolicy& policy = secret_age_policy(ctx);
    const auto rows = keys::build_rotation_report(*users, secrets, api_keys, now, policy);
    audit(ex, audit_event(ctx, request, actor->get(), "report.rotation", "reports/rotation"));

    http::Response r;
    if (format && *format == "csv") {
      r.status = 200;
      r.body = keys::rotation_report_csv(rows);
      r.set_header("Content-Type", "text/csv; charset=utf-8");
      r.set_header("Content-Disposition", "attachment; filename=\"rotation.csv\"");
    } else {
      Json list = Json::array();
      for (const keys::RotationReportRow& row : rows) list.push_back(row_to_json(row));
      r = json_response(200, Json{{"generated_at", format_rfc3339(now)},
                                  {"secret_max_age_days", policy.max_age_days},
                                  {"secret_hard_max_age_days", policy.hard_max_age_days},
                                  {"key_expiring_soon_days", policy.expiring_soon_days},
                                  {"items", std::move(list)}});
    }
    r.set_header("Cache-Control", "no-store");
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
