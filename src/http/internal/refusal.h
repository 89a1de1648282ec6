// Private to the HTTP server (server.cc): answers a connection refused at a
// connection cap (http/connection_limits.h) with a canned 503 and closes it,
// without reading its request.
//
// The whole refusal (TLS handshake when serving HTTPS, the write, a short
// linger so that unread request bytes do not reset the answer away) ends
// within refusal_budget(); the socket is then closed whatever the client does,
// so a client breaking a cap cannot hold a descriptor for long.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>

#include "http/connection_limits.h"
#include "http/internal/session.h"

namespace latchkey::http::internal {

// The 503 for `refusal`, with `request_id`: status line, headers
// (Content-Type, Content-Length, Retry-After, Connection: close,
// X-Request-Id) and the JSON error body. Exposed for tests.
std::string refusal_response(ConnectionRefusal refusal, std::string_view request_id);

// How long one refusal may take at most: write_timeout, but at most 1 s.
std::chrono::milliseconds refusal_budget(const ServerOptions& options);

// Starts answering `socket` on its own executor. `in_flight` was incremented
// by the caller and is decremented when the refusal is over (the socket is
// then closed).
void refuse_connection(boost::asio::ip::tcp::socket socket, ConnectionRefusal refusal,
                       ServerState& state, std::atomic<int>& in_flight);

}  // namespace latchkey::http::internal
