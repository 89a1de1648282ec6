// GET /api/v1/reports/rotation (ADMIN; issue 14 item 3, docs/secret-age.md):
// Client Secrets and API keys due for rotation and keys expiring soon, as
// JSON or (?format=csv) CSV.
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response rotation_report(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
