// latchkeyd's HTTP/1.1 server on Boost.Beast/Asio (the shape of Beast's
// advanced server example): one listener, one session per connection,
// keep-alive, a worker thread per core, explicit limits and timeouts, optional
// TLS, and a graceful drain on stop().
//
// Every response carries X-Request-Id; every 4xx/5xx the server produces
// itself (bad HTTP, too large, timeouts, no route) has a JSON error body via
// error_response(). Handlers marked Dispatch::kBlocking run on a separate
// pool so that a durable write never stalls an I/O thread.
//
// Dispatch::kAsync handlers (Router::add_async) run on the I/O thread and
// answer later through their Responder (from any thread, once). Until then
// the connection counts as in flight (stop() waits up to drain_timeout) and
// its socket is watched: end of stream or a reset from the client, or a
// forced close at the end of a drain, runs on_client_gone and drops any later
// respond(). A client that half-closes its side after sending the request
// counts as gone. Over TLS only a bare TCP close or reset is noticed (the
// watch peeks at raw records; a close_notify ends it, best effort).
//
// A Response with a body_source is streamed: Content-Length when
// content_length is set, else chunked (HTTP/1.1) or delimited by closing the
// connection (HTTP/1.0). Pieces are read one at a time, each written (within
// write_timeout) before the next read(); the server lets go of the source as
// soon as the body ends. A failed source, a failed write, a body longer or
// shorter than content_length, or a forced close ends the connection and
// cancel()s the source; HEAD (and 204/304) cancel it unread. Handlers never
// set framing headers (Content-Length, Transfer-Encoding, Connection).
//
// Responders and body sources hold their connection: answer or drop them
// before the server is destroyed.
//
// Thread-safety: stop() is safe from any thread; port() and url() from any
// thread after start(); run() is called once. The router and the Random must
// outlive the server; destroy the server only after run() has returned (or if
// it was never called). Destruction waits for kBlocking handlers still running.
//
// Heavy Beast headers stay in server.cc and http/internal/: this header is
// cheap to include.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/cidr.h"
#include "core/error.h"
#include "core/log_line.h"
#include "http/connection_limits.h"
#include "http/router.h"
#include "http/router_source.h"

namespace latchkey {
class Clock;
class Random;
}  // namespace latchkey

namespace latchkey::http {

class AccessLog;  // http/access_log.h

// What the server reports about each answered request (for metrics).
struct RequestObservation {
  std::string_view method;
  std::string_view route;  // the matched route's pattern, or "" when no route matched
  int status = 0;
  std::chrono::nanoseconds duration{
      0};  // from the first byte read to the response handed to the socket
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see Server::port())
  int io_threads = 0;         // 0: one per core
  int blocking_threads = 64;  // pool for Dispatch::kBlocking handlers
  // Most kBlocking requests admitted at once (running or queued for the
  // pool); beyond it the server sheds load with 503 and Retry-After rather
  // than queue without bound.
  int max_blocking_in_flight = 4096;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // A whole request must arrive within read_timeout of its first byte (else
  // 408 and close); a new connection must also send its first byte (and
  // finish the TLS handshake) within it.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive connection with no request
  std::chrono::milliseconds drain_timeout{10'000};  // in-flight requests allowed to finish on stop
  std::chrono::milliseconds write_timeout{10'000};  // a whole response must be sent within this
  // Connection limits (docs/security/connections.md). 0: derived from the
  // process's soft RLIMIT_NOFILE at start() (http/connection_limits.h). A new
  // connection over either cap is answered 503 (reason too_many_connections,
  // Retry-After, Connection: close) without its request being read, and
  // closed; the connections already open keep being served.
  std::size_t max_connections = 0;             // all clients together
  std::size_t max_connections_per_client = 0;  // per client address (IPv6: per /64)
  // A keep-alive connection ends after its max_requests_per_connection-th
  // response, or after its first response once it is older than
  // max_connection_age (by `clock`): that response says Connection: close.
  // 0: no limit.
  std::uint64_t max_requests_per_connection = 1000;
  std::chrono::milliseconds max_connection_age{3'600'000};
  // Proxies whose word on the client is believed (docs/proxies.md): from a
  // peer in this set, X-Forwarded-For names the client
  // (http/client_address.h), its connections count against max_connections
  // only (not the per-client cap), and with proxy_protocol it must open with
  // a PROXY header. Empty: trust nobody.
  CidrSet trusted_proxies;
  // Expect a PROXY protocol v1/v2 header (http/proxy_protocol.h) before the
  // first request (and before the TLS handshake) from every trusted peer: a
  // trusted peer without one, an untrusted peer with one, or a malformed
  // header closes the connection. Untrusted peers are served as they are.
  bool proxy_protocol = false;
  std::string tls_cert_file;  // both set: serve HTTPS only
  std::string tls_key_file;
  // One line per request (path only, no query), while spdlog's default
  // logger logs at info level or below.
  bool access_log = true;
  // JSON objects or text (core/log_line.h, docs/logging.md).
  LogFormat access_log_format = LogFormat::kJson;
  // Where access-log lines go (http/access_log.h). latchkeyd passes a
  // BufferedAccessLog: a background thread writes, and no I/O thread waits
  // for a lock or a write(2). run() flushes it before it returns. Null:
  // spdlog's default logger at info level (tests and tools).
  std::shared_ptr<AccessLog> access_log_sink;
  // Access-log timestamps and connection ages; null: the system clock.
  const Clock* clock = nullptr;
  // Called on the I/O thread once per answered request; must be cheap and
  // must not block. Null: nothing is reported.
  std::function<void(const RequestObservation&)> observer;
  // Called once from start(), after the socket is bound (so the URL, port 0
  // resolved, is known) and before it listens: until it returns, a client's
  // connect() is refused. An error stops start() with that error. latchkeyd
  // delivers the first start's admin credentials here (server/bootstrap.h).
  std::function<Status(const std::string& url)> before_listen;
};

class Server {
 public:
  // Binds and listens. kUnavailable when the address cannot be bound,
  // kInvalidRequest when the TLS files cannot be loaded.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options, const Router& router,
                                               Random& random);
  // The same with a replaceable router (router_source.h): each connection
  // takes the newest one at its next request. `router` outlives the server.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options,
                                               const RouterSource& router, Random& random);
  virtual ~Server() = default;

  virtual std::uint16_t port() const = 0;
  virtual std::string url() const = 0;  // "http://127.0.0.1:8080"
  // The caps in force (the options' values, or their defaults) and the
  // connections counted against them. From any thread.
  virtual ConnectionLimits connection_limits() const = 0;
  virtual ConnectionStats connection_stats() const = 0;
  // Runs io_threads I/O threads (the caller's being one of them) until stop()
  // has drained; returns then.
  virtual void run() = 0;
  // Stops accepting, lets in-flight requests finish within drain_timeout,
  // closes idle connections. Safe from any thread and from a signal watcher.
  virtual void stop() = 0;
};

}  // namespace latchkey::http
