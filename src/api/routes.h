// The whole HTTP surface of latchkeyd, in one table (routes.cc): every
// route's method, pattern, dispatch, Requirement (what the pipeline checks
// before the handler) and handler.
#pragma once

#include <string>
#include <vector>

#include "api/api_context.h"
#include "http/router.h"
#include "pipeline/route_table.h"

namespace latchkey::api {

using ApiHandler = http::Response (*)(const ApiContext&, pipeline::Exchange&);

// The table: the API's own routes, then `extra` (gateway routes).
pipeline::RouteTable route_table(const ApiContext& ctx,
                                 std::vector<pipeline::RouteEntry> extra = {});

// The router of route_table(ctx, extra), every route run through one
// pipeline over ctx's services (fail-closed stand-ins where ctx has none).
// `ctx` must outlive the router.
http::Router build_router(const ApiContext& ctx, std::vector<pipeline::RouteEntry> extra = {});

// A bearer-authenticated management route: counted against a key-derived
// caller's rate limit; a write (any method but GET under /api/) refuses
// read-only callers; `admin` refuses non-admins before the handler.
pipeline::RouteEntry api_route(const ApiContext& ctx, std::string method, std::string pattern,
                               http::Dispatch dispatch, bool admin, ApiHandler handler,
                               std::string audit_action = {});

}  // namespace latchkey::api
