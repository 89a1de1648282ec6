// Operational endpoints: liveness, readiness, and the test-only clock.
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace latchkey::api {

http::Response healthz(const ApiContext& ctx, const http::Request& request);
http::Response readyz(const ApiContext& ctx, const http::Request& request);
// Prometheus text exposition of metrics::default_registry() (docs/metrics.md).
http::Response metrics_text(const ApiContext& ctx, const http::Request& request);
// Only routed when ctx.test_clock is set (--insecure-test-clock).
http::Response advance_test_clock(const ApiContext& ctx, const http::Request& request);

}  // namespace latchkey::api
