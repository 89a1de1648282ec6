// Handlers of the API keys API (docs/api-keys.md, seeds 002-004): create
// (one-time reveal), list (masked), deactivate, and the admin report.
#pragma once

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/exchange.h"

namespace latchkey::api {

http::Response create_api_key(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response list_api_keys(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response deactivate_api_key(const ApiContext& ctx, pipeline::Exchange& ex);
// GET /api/v1/keys/{id} (owner or ADMIN) and POST /api/v1/keys/{id}/reroll
// (the owner; optional {"previous_valid_for_seconds"}), docs/rotation.md.
http::Response get_api_key(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response reroll_api_key(const ApiContext& ctx, pipeline::Exchange& ex);
http::Response api_key_report(const ApiContext& ctx, pipeline::Exchange& ex);
// PUT /api/v1/keys/{id}/limits (ADMIN): a key's rate and concurrency limit
// override, docs/rate-limits.md.
http::Response set_api_key_limits(const ApiContext& ctx, pipeline::Exchange& ex);

}  // namespace latchkey::api
