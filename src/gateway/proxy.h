// The upstream half of the gateway: sends one request to a route's upstream
// over a pooled keep-alive connection (Boost.Beast, on the caller's
// connection thread) and answers the caller through its Responder, with the
// upstream's body streamed back piece by piece.
//
//   - Connections: a pool per upstream and per I/O thread (an Asio service
//     of the thread's io_context), at most kMaxIdlePerUpstream idle ones; a
//     connection is dropped on any error, when either side says close, or
//     when the response was not read to its end. A pooled connection that
//     fails before any byte of the response is retried once on a fresh
//     connection, for idempotent methods only.
//   - Interim responses: 1xx (100 Continue, 103 Early Hints, ...) are
//     dropped and the final response read on the same connection; a 101
//     Switching Protocols is a 502 (upgrades are not forwarded) and its
//     connection is closed, never pooled.
//   - Errors: connect refused / unreachable -> 502 (reason
//     upstream_unreachable); connect or response timeout -> 504 (reason
//     upstream_timeout); a broken response -> 502 (upstream_error). Once the
//     response head has been sent, a failure closes the client connection.
//   - `on_end` runs exactly once, on the I/O thread, when the exchange is
//     over: the body was streamed to its end, the upstream failed or timed
//     out, or the client went away (the upstream operation is cancelled).
//     The gateway releases the concurrency slot there.
//
// Heavy Beast headers stay in proxy.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/route_table.h"
#include "http/message.h"
#include "http/router.h"

namespace latchkey::metrics {
class Counter;
class Histogram;
}  // namespace latchkey::metrics

namespace latchkey::gateway {

// latchkey_gateway_upstream_requests_total{route,outcome} and
// latchkey_gateway_upstream_seconds{route}: one set per route, looked up once.
struct RouteMetrics {
  metrics::Counter* ok = nullptr;
  metrics::Counter* timeout = nullptr;
  metrics::Counter* unreachable = nullptr;
  metrics::Counter* error = nullptr;
  metrics::Histogram* seconds = nullptr;  // time to the upstream's response headers

  static RouteMetrics for_route(const std::string& label);
};

inline constexpr std::size_t kMaxIdlePerUpstream = 64;

enum class UpstreamOutcome { kOk, kTimeout, kUnreachable, kError, kAbandoned };
std::string_view to_string(UpstreamOutcome outcome);

struct ProxyJob {
  const GatewayRoute* route = nullptr;    // outlives the job (compiled once at start-up)
  const RouteMetrics* metrics = nullptr;  // likewise
  std::string method;
  std::string target;  // for the upstream: base path + path + query
  std::vector<http::Header> headers;
  std::string body;
  std::shared_ptr<http::Responder> responder;
  std::vector<http::Header> extra_response_headers;  // RateLimit-*, added to every answer
  std::string principal_for_log;
  std::function<void(UpstreamOutcome)> on_end;
};

// Starts the exchange; returns at once. Call on the responder's I/O thread.
void proxy(ProxyJob job);

}  // namespace latchkey::gateway
