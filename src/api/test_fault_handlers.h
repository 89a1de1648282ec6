// Test-only fault injection endpoints (docs/security/faults.md), routed only
// with --insecure-test-faults (ctx.test_faults set):
//   POST /_test/faults {"fail_write": N, "mode": "once"|"forever",
//                       "point": "before_write"|"after_commit"}
//     arms the store's fault injector (N = 0 disarms) and restarts counting;
//   GET /_test/faults -> {"writes": counted writes since arming, "failed": n}.
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response arm_test_faults(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response test_fault_stats(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
