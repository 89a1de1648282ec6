// Private to the HTTP server (server.cc): one accepted connection, plain TCP
// or TLS, and the state it shares with the server. Beast and Asio live here
// and in session.cc so that server.h stays cheap to include.
//
// Thread-safety: a session runs on its connection's single-threaded io_context;
// drain() and force_close() are safe from any thread (they post to it). ServerState is built
// once by the server and read concurrently by every session.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "http/connection_limits.h"
#include "http/router.h"
#include "http/router_source.h"
#include "http/server.h"

namespace latchkey {
class Clock;
class Random;
}  // namespace latchkey

namespace latchkey::http::internal {

class Session {
 public:
  virtual ~Session() = default;
  // Stop keeping the connection alive: close it now if it is idle, else
  // after the response to the request in progress.
  virtual void drain() = 0;
  // Close the connection now, whatever it is doing.
  virtual void force_close() = 0;
};

// Told when sessions begin and end, so the server can drain them on stop().
// Both may be called from any thread.
class SessionTracker {
 public:
  virtual ~SessionTracker() = default;
  virtual void on_session_start(const std::shared_ptr<Session>& session) = 0;
  virtual void on_session_end(Session* session) = 0;
};

// What every session reads; it outlives all sessions.
struct ServerState {
  const ServerOptions& options;
  const RouterSource& router;  // replaceable while serving (router_source.h)
  Random& random;
  const Clock& clock;
  boost::asio::thread_pool& blocking_pool;
  std::atomic<int>& blocking_in_flight;  // admitted kBlocking requests
  boost::asio::ssl::context* tls;        // null: plain HTTP
  SessionTracker& tracker;
};

// Registers a session for `socket` (from `remote_ip`) with state.tracker and
// starts serving it. The session holds `slot` until it closes its socket.
void start_session(boost::asio::ip::tcp::socket socket, std::string remote_ip, ConnectionSlot slot,
                   ServerState& state);

// The client's X-Request-Id when it is 1-64 characters of [A-Za-z0-9._-],
// else a fresh 16-hex-character id. Exposed for tests.
std::string choose_request_id(std::string_view client_value, Random& random);

}  // namespace latchkey::http::internal
