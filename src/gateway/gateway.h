// Gateway mode (docs/gateway.md, issue 5): latchkeyd as a reverse proxy in
// front of the protected API. For each configured route (route_table.h) a
// request is
//
//   1. authenticated from its bearer token (401 as the API answers it),
//   2. decided by the permission model exactly as POST /v1/authorize does
//      for the route's action, application and step (403 with the reason),
//   3. counted against its API key's rate limit (429 with Retry-After and
//      RateLimit-*; key-derived tokens only, as on the API),
//   4. given one of its key's concurrency slots on this route (seed 004: 5
//      in flight; the sixth is refused with 429 at once, never queued),
//   5. recorded in the audit trail (buffered), and proxied (proxy.h).
//
// The concurrency slot is held until the exchange is over: the body was
// streamed to its end, the client went away, or the upstream failed.
//
// Thread-safety: build before serving; the registered handlers run on the
// connections' I/O threads and share nothing but thread-safe services.
#pragma once

#include <memory>
#include <vector>

#include "api/api_context.h"
#include "gateway/route_table.h"
#include "http/router.h"

namespace latchkey::gateway {

struct GatewayOptions {
  bool client_tls = false;  // latchkeyd serves HTTPS (X-Forwarded-Proto: https)
};

// Registers every route with Router::add_async, one per method. `routes`
// and `ctx` must outlive the router.
void add_gateway_routes(http::Router& router, const api::ApiContext& ctx,
                        const std::vector<GatewayRoute>& routes, GatewayOptions options = {});

}  // namespace latchkey::gateway
