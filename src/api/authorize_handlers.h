// The decision API: POST /v1/authorize (seed 001). The caller's own bearer
// token; body {"action", "application", "steps"?, "admin_data"?}; 200 allow
// or 403 deny with a machine-readable reason. Every decision is audited.
#pragma once

#include <string>
#include <vector>

#include "api/api_context.h"
#include "http/message.h"
#include "http/router.h"

namespace latchkey::api {

// Adds POST /v1/authorize to `r` (when ctx.permissions is set).
void add_authorize_routes(http::Router& r, const ApiContext& ctx);

http::Response authorize(const ApiContext& ctx, const http::Request& request);

}  // namespace latchkey::api
