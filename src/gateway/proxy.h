// The upstream half of the gateway: sends one request to a route's upstream
// over a pooled keep-alive connection (Boost.Asio and Beast's HTTP parser,
// on the caller's connection thread) and answers the caller through its
// Responder.
//
//   - Writes and reads: the request head and body go out in one write. The
//     response is read into the connection's 16 KiB buffer; when the whole
//     body came with the head (a Content-Length body, or a chunked one that
//     is complete), the caller gets it as a plain Response::body, which the
//     server sends with the head in one write. A larger or unfinished body
//     is streamed: the connection is the response's BodySource and hands
//     the server piece after piece straight from its buffer.
//   - Connections: a pool per upstream and per I/O thread (an Asio service
//     of the thread's io_context), at most kMaxIdlePerUpstream idle ones; a
//     connection is dropped on any error, when either side says close, or
//     when the response was not read to its end. A pooled connection that
//     fails before any byte of the response is retried once on a fresh
//     connection, for idempotent methods only. Everything an exchange needs
//     (buffers, parser, header strings, timer) belongs to the pooled
//     connection and is reused by its next exchange.
//   - Interim responses: 1xx (100 Continue, 103 Early Hints, ...) are
//     dropped and the final response read on the same connection; a 101
//     Switching Protocols is a 502 (upgrades are not forwarded) and its
//     connection is closed, never pooled.
//   - Errors: connect refused / unreachable -> 502 (reason
//     upstream_unreachable); connect or response timeout -> 504 (reason
//     upstream_timeout); a broken response -> 502 (upstream_error). Once the
//     response head has been sent, a failure closes the client connection.
//   - `on_end` runs exactly once, on the I/O thread, when the exchange is
//     over: the body was read to its end, the upstream failed or timed
//     out, or the client went away (the upstream operation is cancelled).
//     The gateway releases the concurrency slot there.
//
// Heavy Asio and Beast headers stay in proxy.cc.
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
