// Gateway mode (docs/gateway.md, issue 5): latchkeyd as a reverse proxy in
// front of the protected API. Each configured route (route_table.h) is an
// entry of the one route table (api/routes.cc), so a request runs the same
// pipeline as every API call (pipeline/pipeline.h):
//
//   1. authenticated from its bearer token (401 as the API answers it),
//   2. counted against its API key's rate limit (429 with Retry-After and
//      RateLimit-*; key-derived tokens only, as on the API) and given one
//      of its key's concurrency slots on this route (seed 004: 5 in flight;
//      the sixth is refused with 429 at once, never queued),
//   3. decided by the permission model exactly as POST /v1/authorize does
//      for the route's action, application and step (403 with the reason),
//   4. recorded in the audit trail (one record), and proxied (proxy.h).
//
// The concurrency slot is held until the exchange is over: the body was
// streamed to its end, the client went away, or the upstream failed.
//
// Thread-safety: build before serving; the handlers run on the connections'
// I/O threads and share nothing but thread-safe services.
#pragma once

#include <vector>

#include "gateway/route_table.h"
#include "pipeline/route_table.h"

namespace latchkey::gateway {

struct GatewayOptions {
  bool client_tls = false;  // latchkeyd serves HTTPS (X-Forwarded-Proto: https)
};

// One route-table entry per route and method. `routes` must outlive the
// router built from them.
std::vector<pipeline::RouteEntry> gateway_route_entries(const std::vector<GatewayRoute>& routes,
                                                        GatewayOptions options = {});

}  // namespace latchkey::gateway
