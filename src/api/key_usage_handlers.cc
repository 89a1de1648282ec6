#include "api/key_usage_handlers.h"

#include <chrono>
#include <map>
#include <string>

#include "api/audit_hooks.h"
#include "api/json_io.h"
#include "api/request_auth.h"
#include "audit/audit_query.h"
#include "keys/key_service.h"
#include "usage/usage_service.h"

namespace latchkey::api {
namespace {

// The defaults: the last 24 hours hourly, the last 30 days daily.
constexpr auto kDefaultHourlySpan = std::chrono::hours(24);
constexpr auto kDefaultDailySpan = std::chrono::hours(24 * 30);
// One answer covers at most this much, which bounds its size: 31 days of
// hours (744 buckets, the hourly retention's useful range) or 366 days.
constexpr int kMaxHourlyDays = 31;
constexpr int kMaxDailyDays = 366;

struct UsageWindow {
  UsageGranularity granularity = UsageGranularity::kHour;
  Instant from;  // a bucket start
  Instant to;    // exclusive bound on bucket starts
};

Instant bucket_floor(Instant at, UsageGranularity g) {
  return g == UsageGranularity::kDay ? usage::day_start(at) : usage::hour_start(at);
}

Result<Instant> time_param(const audit::QueryParams& params, std::string_view name) {
  auto text = audit::param(params, name);
  auto at = audit::parse_rfc3339(*text);
  if (!at) {
    return fail(Error::invalid_request("query parameter \"" + std::string(name) +
                                       "\" must be an RFC 3339 date-time, e.g. "
                                       "2026-11-23T10:00:00Z")
                    .with_reason("invalid_time"));
  }
  return *at;
}

Result<UsageWindow> parse_window(const http::Request& request, Instant now) {
  auto params = audit::parse_query_string(request.query(), {"granularity", "from", "to"});
  if (!params) return fail(params.error());
  UsageWindow w;
  if (auto g = audit::param(*params, "granularity")) {
    auto parsed = parse_usage_granularity(*g);
    if (!parsed) {
      return fail(Error::invalid_request("query parameter \"granularity\" must be hour or day")
                      .with_reason("invalid_granularity"));
    }
    w.granularity = *parsed;
  }
  w.to = now;
  if (audit::param(*params, "to")) {
    auto to = time_param(*params, "to");
    if (!to) return fail(to.error());
    w.to = *to;
  }
  const Duration span = w.granularity == UsageGranularity::kDay ? Duration(kDefaultDailySpan)
                                                                : Duration(kDefaultHourlySpan);
  Instant from = w.to - span;
  if (audit::param(*params, "from")) {
    auto given = time_param(*params, "from");
    if (!given) return fail(given.error());
    from = *given;
  }
  if (from >= w.to) {
    return fail(
        Error::invalid_request("\"from\" must be before \"to\"").with_reason("invalid_range"));
  }
  const bool daily = w.granularity == UsageGranularity::kDay;
  const int max_days = daily ? kMaxDailyDays : kMaxHourlyDays;
  if (w.to - from > std::chrono::hours(24) * max_days) {
    return fail(
        Error::invalid_request("query parameter \"from\" is more than " + std::to_string(max_days) +
                               " days before \"to\": " + (daily ? "daily" : "hourly") +
                               " usage spans at most " + std::to_string(max_days) + " days" +
                               (daily ? "" : " (granularity=day spans up to 366)"))
            .with_reason("range_too_long")
            .with_detail("parameter", "from"));
  }
  w.from = bucket_floor(from, w.granularity);
  return w;
}

Json by_class(const std::map<std::string, std::int64_t>& counts) {
  Json out = Json::object();
  for (const auto& [cls, n] : counts) out[cls] = n;
  return out;
}

Json usage_json(std::string_view key_id, const UsageWindow& w, const std::vector<UsageRow>& rows) {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> classes;
  std::map<std::string, std::pair<std::int64_t, std::map<std::string, std::int64_t>>> routes;
  Json buckets = Json::array();
  for (std::size_t i = 0; i < rows.size();) {
    const Instant start = rows[i].bucket_start;
    std::int64_t bucket_total = 0;
    Json counts = Json::array();
    for (; i < rows.size() && rows[i].bucket_start == start; ++i) {
      const UsageRow& r = rows[i];
      counts.push_back(
          Json{{"route", r.route}, {"status_class", r.status_class}, {"count", r.count}});
      bucket_total += r.count;
      classes[r.status_class] += r.count;
      auto& route = routes[r.route];
      route.first += r.count;
      route.second[r.status_class] += r.count;
    }
    total += bucket_total;
    buckets.push_back(
        Json{{"start", format_rfc3339(start)}, {"total", bucket_total}, {"counts", counts}});
  }
  Json by_route = Json::array();
  for (const auto& [route, counts] : routes) {
    by_route.push_back(Json{
        {"route", route}, {"total", counts.first}, {"by_status_class", by_class(counts.second)}});
  }
  return Json{{"key_id", key_id},
              {"granularity", to_string(w.granularity)},
              {"from", format_rfc3339(w.from)},
              {"to", format_rfc3339(w.to)},
              {"total", total},
              {"by_status_class", by_class(classes)},
              {"by_route", by_route},
              {"buckets", buckets}};
}

}  // namespace

http::Response key_usage(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    if (ctx.keys == nullptr || ctx.usage == nullptr) {
      return fail(Error::unavailable("usage per API key is not enabled on this server"));
    }
    auto actor = verified_caller(ex);
    if (!actor) return fail(actor.error());
    const std::string key_id(ex.params().get("id"));
    // The same rule as the key's other reads: its owner or an admin; to
    // anyone else the key does not exist.
    auto key = ctx.keys->find(key_id);
    if (!key) return fail(key.error());
    if (!*key || ((*key)->user_id != (*actor)->user_id && !(*actor)->is_admin())) {
      return fail(Error::not_found("no such API key"));
    }
    auto window = parse_window(request, ctx.clock.now());
    if (!window) return fail(window.error());
    auto rows = ctx.usage->usage_of_key(key_id, window->granularity, window->from, window->to);
    if (!rows) return fail(rows.error());
    audit(ex, audit_event(ctx, request, actor->get(), "api_key.usage", "api_key/" + key_id));
    http::Response r = json_response(200, usage_json(key_id, *window, *rows));
    r.principal_for_log = (*actor)->user_id;
    return r;
  }());
}

}  // namespace latchkey::api
