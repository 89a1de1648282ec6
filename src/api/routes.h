// The whole HTTP surface of latchkeyd, in one table (routes.cc).
#pragma once

#include "api/api_context.h"
#include "http/router.h"

namespace latchkey::api {

// `ctx` must outlive the router.
http::Router build_router(const ApiContext& ctx);

}  // namespace latchkey::api
