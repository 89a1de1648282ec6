#include "api/ops_handlers.h"

#include "api/json_io.h"
#include "core/clock.h"
#include "invalidation/bus.h"
#include "metrics/metrics.h"

namespace latchkey::api {

http::Response healthz(const ApiContext&, pipeline::Exchange&) {
  return json_response(200, Json{{"status", "ok"}});
}

http::Response readyz(const ApiContext& ctx, pipeline::Exchange&) {
  return respond([&]() -> Result<http::Response> {
    if (auto s = ctx.store.ping(); !s) return fail(s.error());
    Json body{{"status", "ready"}};
    // Degraded still serves (from the store): ready, and says so.
    if (ctx.invalidation != nullptr) {
      body["invalidation"] = ctx.invalidation->degraded() ? "degraded" : "ok";
    }
    return json_response(200, body);
  }());
}

http::Response metrics_text(const ApiContext&, pipeline::Exchange&) {
  http::Response r;
  r.status = 200;
  r.body = metrics::default_registry().render();
  r.set_header("Content-Type", std::string(metrics::kContentType));
  r.set_header("Cache-Control", "no-store");
  return r;
}

http::Response advance_test_clock(const ApiContext& ctx, pipeline::Exchange& ex) {
  const http::Request& request = ex.request();
  return respond([&]() -> Result<http::Response> {
    auto body = parse_object_body(request);
    if (!body) return fail(body.error());
    auto seconds = optional_int(*body, "seconds");
    if (!seconds) return fail(seconds.error());
    // Bounded so that the conversion to milliseconds cannot overflow.
    constexpr std::int64_t kMaxAdvance = 100LL * 365 * 24 * 3600;
    if (!*seconds || **seconds < 0 || **seconds > kMaxAdvance) {
      return fail(
          Error::invalid_request("field \"seconds\" must be an integer from 0 to 100 years"));
    }
    ctx.test_clock->advance(std::chrono::seconds(**seconds));
    if (ctx.after_test_clock_advance) ctx.after_test_clock_advance();
    return json_response(200, Json{{"now", format_rfc3339(ctx.clock.now())}});
  }());
}

}  // namespace latchkey::api
