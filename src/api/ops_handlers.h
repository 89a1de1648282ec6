// Operational endpoints: liveness, readiness, and the test-only clock.
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response healthz(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response readyz(const ApiContext& ctx, pipeline::Exchange& ex);
// Prometheus text exposition of metrics::default_registry() (docs/metrics.md).
http::Response metrics_text(const ApiContext& ctx, pipeline::Exchange& ex);
// Only routed when ctx.test_clock is set (--insecure-test-clock).
http::Response advance_test_clock(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
