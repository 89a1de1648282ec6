#include "http/internal/refusal.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <type_traits>
#include <utility>

#include "http/error_response.h"

namespace latchkey::http::internal {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

constexpr std::chrono::milliseconds kMaxRefusalBudget{1000};

// One refused connection: answer, linger briefly, close; never longer than
// the budget. Touched only on the socket's own io_context thread.
template <class Stream>
class Refusal final : public std::enable_shared_from_this<Refusal<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  Refusal(tcp::socket&& socket, ServerState& state, std::string response,
          std::atomic<int>& in_flight)
      : timer_(socket.get_executor()),
        stream_(make_stream(std::move(socket), state)),
        response_(std::move(response)),
        in_flight_(in_flight) {}

  ~Refusal() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  void start(std::chrono::milliseconds budget) {
    asio::post(timer_.get_executor(), [self = this->shared_from_this(), budget] {
      self->timer_.expires_after(budget);
      self->timer_.async_wait([self](error_code ec) {
        if (!ec) self->close();  // out of time, whatever the client does
      });
      if constexpr (kTls) {
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](error_code ec) {
          if (ec) return self->close();
          self->write();
        });
      } else {
        self->write();
      }
    });
  }

 private:
  static Stream make_stream(tcp::socket&& socket, ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return std::move(socket);
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void write() {
    asio::async_write(stream_, asio::buffer(response_),
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        if (ec || self->closed_) return self->close();
                        self->finish();
                      });
  }

  // The request was never read: closing with it unread would reset the
  // connection and could destroy the answer before the client reads it. So
  // end our side and read (and drop) until the client closes or time is up.
  void finish() {
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->close(); });
    } else {
      error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      linger();
    }
  }

  void linger() {
    socket().async_read_some(asio::buffer(sink_),
                             [self = this->shared_from_this()](error_code ec, std::size_t) {
                               if (ec || self->closed_) return self->close();
                               self->linger();
                             });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
  }

  asio::steady_timer timer_;
  Stream stream_;
  std::string response_;
  std::array<char, 2048> sink_{};
  std::atomic<int>& in_flight_;
  bool closed_ = false;
};

}  // namespace

std::string refusal_response(ConnectionRefusal refusal, std::string_view request_id) {
  const bool client = refusal == ConnectionRefusal::kClientFull;
  const Response response = error_response(
      Error::unavailable(client ? "too many open connections from your address; close some or "
                                  "retry shortly"
                                : "the server has too many open connections; retry shortly")
          .with_reason("too_many_connections")
          .with_detail("limit", client ? "client" : "server"));
  std::string out =
      fmt::format("HTTP/1.1 {} Service Unavailable\r\nServer: latchkey\r\n", response.status);
  for (const auto& header : response.headers) {
    fmt::format_to(std::back_inserter(out), "{}: {}\r\n", header.name, header.value);
  }
  fmt::format_to(std::back_inserter(out),
                 "Retry-After: 1\r\nConnection: close\r\nX-Request-Id: {}\r\n"
                 "Content-Length: {}\r\n\r\n",
                 request_id, response.body.size());
  out += response.body;
  return out;
}

std::chrono::milliseconds refusal_budget(const ServerOptions& options) {
  return std::clamp(options.write_timeout, std::chrono::milliseconds(1), kMaxRefusalBudget);
}

void refuse_connection(tcp::socket socket, ConnectionRefusal refusal, ServerState& state,
                       std::atomic<int>& in_flight) {
  std::string response = refusal_response(refusal, choose_request_id({}, state.random));
  const auto budget = refusal_budget(state.options);
  // Once constructed, the Refusal gives the in-flight count back; until then
  // (a failed allocation or SSL_new) it is given back here.
  auto start = [&]<class Stream>(std::type_identity<Stream>) {
    std::shared_ptr<Refusal<Stream>> r;
    try {
      r = std::make_shared<Refusal<Stream>>(std::move(socket), state, std::move(response),
                                            in_flight);
    } catch (const std::exception&) {
      in_flight.fetch_sub(1, std::memory_order_relaxed);
      return;  // the socket closes unanswered
    }
    r->start(budget);
  };
  if (state.tls != nullptr) {
    start(std::type_identity<asio::ssl::stream<tcp::socket>>{});
  } else {
    start(std::type_identity<tcp::socket>{});
  }
}

}  // namespace latchkey::http::internal
