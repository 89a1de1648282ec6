#include "http/internal/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "core/clock.h"
#include "core/random.h"
#include "core/secret.h"
#include "http/error_response.h"

namespace latchkey::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kFirstReadBytes = 4096;
// After an error response to a request we did not read to its end, we shut
// down our side and read (and drop) whatever the client still sends for a
// moment, so that closing with unread data does not reset the connection and
// destroy the response before the client has read it.
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kMaxRequestIdChars = 64;

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("\"(),/:;<=>?@[\\]{}").find(c) == std::string_view::npos;
}

// Handlers build headers from values that may echo client input; a CR or LF
// there would let a client inject headers into the response.
bool is_safe_header(const Header& h) {
  if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), is_token_char)) return false;
  return h.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

// The server owns message framing; a handler cannot override it.
bool is_framing_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection");
}

Request to_request(bhttp::request<bhttp::string_body>&& in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.headers.reserve(static_cast<std::size_t>(std::distance(in.begin(), in.end())));
  for (const auto& field : in) {
    out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  out.body = std::move(in.body());
  return out;
}

Response invoke_handler(const Handler& handler, const Request& request, const PathParams& params) {
  // Handlers return errors as values; an exception here is a bug, and it
  // costs one 500, not the connection or the process.
  try {
    return handler(request, params);
  } catch (const std::exception& e) {
    spdlog::error("handler threw: request_id={} method={} path={} what={}", request.request_id,
                  request.method, redact_secrets(request.path()), e.what());
  } catch (...) {
    spdlog::error("handler threw a non-exception: request_id={} method={} path={}",
                  request.request_id, request.method, redact_secrets(request.path()));
  }
  return error_response(Error::internal("internal server error"));
}

// Appends `text` as a JSON string. Bytes outside printable ASCII are escaped
// (\u00XX), so a hostile path can neither break the line nor smuggle bytes.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

void write_access_log(spdlog::logger& logger, const Request& request, int status,
                      SteadyClock::time_point started, const std::string& principal,
                      const Clock& clock) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count();
  // Path only: query strings, headers and bodies may carry secrets.
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  line += format_rfc3339(clock.now());
  line += "\",\"request_id\":";
  append_json_string(line, request.request_id);
  line += ",\"remote\":";
  append_json_string(line, request.remote_ip);
  line += ",\"method\":";
  append_json_string(line, request.method);
  line += ",\"path\":";
  append_json_string(line, redact_secrets(request.path()));
  fmt::format_to(std::back_inserter(line),
                 ",\"status\":{},\"duration_ms\":{:.3f},\"principal\":", status,
                 static_cast<double>(micros) / 1000.0);
  append_json_string(line, principal);
  line.push_back('}');
  logger.info(line);
}

// One connection. Stream is beast::tcp_stream or beast::ssl_stream of one;
// the protocol logic is written once for both.
//
// A request is read in two steps so that the two timeouts mean what they say:
// wait for the first byte (idle_timeout between keep-alive requests, the
// stream's own expiry closes silently), then read the whole request within
// read_timeout (a timer of our own, so that a slow client can still be told
// 408 before the connection closes).
template <class Stream>
class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  HttpSession(asio::ip::tcp::socket&& socket, ServerState& state, std::string remote_ip)
      : state_(state),
        executor_(socket.get_executor()),
        stream_(make_stream(std::move(socket), state)),
        read_timer_(executor_),
        remote_ip_(std::move(remote_ip)) {}

  ~HttpSession() override { state_.tracker.on_session_end(this); }

  void run() { asio::dispatch(executor_, beast::bind_front_handler(&HttpSession::on_run, self())); }

  void drain() override {
    asio::post(executor_, beast::bind_front_handler(&HttpSession::on_drain, self()));
  }

  void force_close() override {
    asio::post(executor_, beast::bind_front_handler(&HttpSession::close_now, self()));
  }

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

  static Stream make_stream(asio::ip::tcp::socket&& socket, ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<HttpSession> self() { return this->shared_from_this(); }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  const ServerOptions& options() const { return state_.options; }

  void on_run() {
    if (closed()) return;  // drained before it started
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      tcp().expires_after(options().read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              beast::bind_front_handler(&HttpSession::on_handshake, self()));
    } else {
      wait_for_request();
    }
  }

  void on_handshake(error_code ec) {
    if (closed()) return;
    if (ec) {
      spdlog::debug("TLS handshake with {} failed: {}", remote_ip_, ec.message());
      return close_now();
    }
    wait_for_request();
  }

  void wait_for_request() {
    if (draining_) return close_gracefully();
    if (buffer_.size() > 0) return read_request();  // the client pipelined
    phase_ = Phase::kIdle;
    // A fresh connection is expected to speak promptly; a kept-alive one may
    // wait for its next request up to idle_timeout.
    tcp().expires_after(served_ == 0 ? options().read_timeout : options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            beast::bind_front_handler(&HttpSession::on_first_bytes, self()));
  }

  void on_first_bytes(error_code ec, std::size_t bytes) {
    if (closed()) return;
    if (ec) return close_now();  // idle timeout, client went away, or drained
    buffer_.commit(bytes);
    read_request();
  }

  void read_request() {
    phase_ = Phase::kReading;
    started_ = SteadyClock::now();
    route_ = nullptr;
    timed_out_ = false;
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(options().max_body_bytes));
    tcp().expires_never();
    const std::uint64_t generation = ++read_generation_;
    read_timer_.expires_after(options().read_timeout);
    read_timer_.async_wait(
        [self = self(), generation](error_code ec) { self->on_read_deadline(ec, generation); });
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&HttpSession::on_header, self()));
  }

  void on_read_deadline(error_code ec, std::uint64_t generation) {
    if (ec || closed() || phase_ != Phase::kReading || generation != read_generation_) return;
    timed_out_ = true;
    tcp().cancel();  // the pending read completes with operation_aborted
  }

  void on_header(error_code ec, std::size_t) {
    if (closed()) return;
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    if (req.version() == 11 && iequals(req[bhttp::field::expect], "100-continue") &&
        !parser_->is_done()) {
      // The body limit was checked against Content-Length already.
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = self()](error_code ec, std::size_t) {
                          if (self->closed()) return;
                          if (ec) return self->close_now();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request_read();
    bhttp::async_read(stream_, buffer_, *parser_, [self = self()](error_code ec, std::size_t) {
      if (self->closed()) return;
      if (ec) return self->on_read_error(ec);
      self->on_request_read();
    });
  }

  void stop_read_timer() {
    ++read_generation_;
    read_timer_.cancel();
  }

  void on_read_error(error_code ec) {
    stop_read_timer();
    if (timed_out_) {
      return send_error(
          Error::invalid_request("request not received in time").with_reason("request_timeout"),
          408);
    }
    if (ec == bhttp::error::header_limit) {
      return send_error(Error{ErrorCode::kHeadersTooLarge, "request headers too large"});
    }
    if (ec == bhttp::error::body_limit) {
      return send_error(Error{ErrorCode::kPayloadTooLarge, "request body too large"});
    }
    // The client hung up mid-request, or the socket failed: no one to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
      return close_now();
    }
    send_error(Error::invalid_request("malformed HTTP request: " + ec.message()));
  }

  // A response the server makes itself when the request could not be read;
  // the connection closes after it.
  void send_error(Error error, int status_override = 0) {
    Request request;
    const auto& partial = parser_->get();
    request.method = std::string(partial.method_string());
    request.target = std::string(partial.target());
    request.remote_ip = remote_ip_;
    request.request_id = choose_request_id(partial["X-Request-Id"], state_.random);
    Response response = error_response(error);
    if (status_override != 0) response.status = status_override;
    keep_alive_ = false;
    unread_input_ = true;
    request_version_ = 11;
    send_response(std::move(request), std::move(response));
  }

  void on_request_read() {
    stop_read_timer();
    phase_ = Phase::kHandling;
    ++served_;
    auto message = parser_->release();
    parser_.reset();
    keep_alive_ = message.keep_alive();
    request_version_ = message.version();
    const std::string client_request_id(message["X-Request-Id"]);

    Request request = to_request(std::move(message));
    request.remote_ip = remote_ip_;
    request.request_id = choose_request_id(client_request_id, state_.random);

    Router::Match match = state_.router.match(request.method, request.path());
    route_ = match.pattern;
    if (match.handler == nullptr) {
      if (match.allowed_methods.empty()) {
        return send_response(std::move(request),
                             error_response(Error::not_found("no such resource")));
      }
      Response response =
          error_response(Error{ErrorCode::kMethodNotAllowed, "method not allowed on this path"});
      response.set_header("Allow", match.allowed_methods);
      return send_response(std::move(request), std::move(response));
    }
    if (match.dispatch == Dispatch::kInline) {
      Response response = invoke_handler(*match.handler, request, match.params);
      return send_response(std::move(request), std::move(response));
    }
    // Load shedding: a bounded number of blocking requests, never an
    // unbounded queue in front of the pool.
    if (state_.blocking_in_flight.fetch_add(1, std::memory_order_relaxed) >=
        options().max_blocking_in_flight) {
      state_.blocking_in_flight.fetch_sub(1, std::memory_order_relaxed);
      Response busy = error_response(Error::unavailable("the server is overloaded; retry shortly"));
      busy.set_header("Retry-After", "1");
      return send_response(std::move(request), std::move(busy));
    }
    // kBlocking: off the I/O threads; the answer comes back on our executor.
    // The session stays registered meanwhile, so the server keeps every
    // context running during a drain until the handler returns or
    // drain_timeout passes.
    asio::post(state_.blocking_pool, [self = self(), handler = match.handler,
                                      params = std::move(match.params),
                                      request = std::move(request)]() mutable {
      Response response = invoke_handler(*handler, request, params);
      self->state_.blocking_in_flight.fetch_sub(1, std::memory_order_relaxed);
      asio::post(self->executor_,
                 [self, request = std::move(request), response = std::move(response)]() mutable {
                   self->send_response(std::move(request), std::move(response));
                 });
    });
  }

  void send_response(Request request, Response response) {
    if (closed()) return;  // force-closed while the handler ran
    phase_ = Phase::kWriting;
    const bool keep_alive = keep_alive_ && !draining_;

    if (response.status < 200 || response.status > 599) {
      spdlog::error("handler returned status {} for {} {}; answering 500", response.status,
                    request.method, redact_secrets(request.path()));
      response = error_response(Error::internal("internal server error"));
    }
    res_.emplace();
    res_->version(request_version_ == 10 ? 10 : 11);
    res_->result(static_cast<unsigned>(response.status));
    res_->set(bhttp::field::server, "latchkey");
    for (const auto& header : response.headers) {
      if (is_framing_header(header.name)) continue;
      if (!is_safe_header(header)) {
        spdlog::error("dropping a response header with unsafe characters for {}",
                      redact_secrets(request.path()));
        continue;
      }
      res_->insert(header.name, header.value);
    }
    res_->set("X-Request-Id", request.request_id);
    const bool no_body = response.status == 204 || response.status == 304;
    if (!no_body) res_->body() = std::move(response.body);
    res_->keep_alive(keep_alive);
    res_->prepare_payload();
    if (request.method == "HEAD") {
      const auto length = res_->body().size();
      res_->body().clear();
      if (!no_body) res_->content_length(length);
    }

    if (options().access_log) {
      write_access_log(
          options().access_logger ? *options().access_logger : *spdlog::default_logger_raw(),
          request, response.status, started_, response.principal_for_log, state_.clock);
    }

    if (options().observer) {
      options().observer(RequestObservation{
          request.method, route_ != nullptr ? std::string_view(*route_) : std::string_view(),
          response.status, SteadyClock::now() - started_});
    }

    keep_alive_ = keep_alive;
    tcp().expires_after(options().write_timeout);
    bhttp::async_write(stream_, *res_, beast::bind_front_handler(&HttpSession::on_write, self()));
  }

  void on_write(error_code ec, std::size_t) {
    if (closed()) return;
    res_.reset();
    if (ec) return close_now();
    if (!keep_alive_) return close_gracefully();
    wait_for_request();
  }

  // Our side is done: TLS close_notify, or a TCP half-close (followed by a
  // short linger when the client may still be sending); then close.
  void close_gracefully() {
    phase_ = Phase::kClosing;
    tcp().expires_after(
        std::min<std::chrono::milliseconds>(kLingerTimeout, options().read_timeout));
    if constexpr (kTls) {
      stream_.async_shutdown([self = self()](error_code) { self->close_now(); });
    } else {
      error_code ignored;
      tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      if (!unread_input_) return close_now();
      linger();
    }
  }

  void linger() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = self()](error_code ec, std::size_t) {
                              if (self->closed()) return;
                              if (ec) return self->close_now();
                              self->linger();
                            });
  }

  void on_drain() {
    draining_ = true;
    switch (phase_) {
      case Phase::kHandshake:
      case Phase::kIdle:
      case Phase::kClosing:
        close_now();
        break;
      default:
        break;  // the response to the request in progress says Connection: close
    }
  }

  void close_now() {
    if (closed()) return;
    phase_ = Phase::kClosed;
    read_timer_.cancel();
    tcp().close();
  }

  bool closed() const { return phase_ == Phase::kClosed; }

  ServerState& state_;
  asio::any_io_executor executor_;  // the connection's single-threaded io_context
  Stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer read_timer_;
  std::string remote_ip_;

  // All below: touched only on the session's io_context thread.
  Phase phase_ = Phase::kIdle;
  bool draining_ = false;
  bool keep_alive_ = true;
  bool timed_out_ = false;
  bool unread_input_ = false;  // the last request was not read to its end
  unsigned request_version_ = 11;
  std::uint64_t served_ = 0;
  std::uint64_t read_generation_ = 0;
  SteadyClock::time_point started_;
  const std::string* route_ = nullptr;  // the request's route pattern (owned by the router)
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
};

bool is_request_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Request ids must be unique, not secret: a per-thread splitmix64 seeded once
// from the CSPRNG spares every request the CSPRNG's getpid() fork check.
std::string fresh_request_id(Random& random) {
  thread_local std::uint64_t state = 0;
  if (state == 0) {
    random.fill(std::span(reinterpret_cast<std::uint8_t*>(&state), sizeof state));
    state |= 1;
  }
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) id[static_cast<std::size_t>(i)] = kHex[z & 15];
  return id;
}

}  // namespace

std::string choose_request_id(std::string_view client_value, Random& random) {
  if (!client_value.empty() && client_value.size() <= kMaxRequestIdChars &&
      std::all_of(client_value.begin(), client_value.end(), is_request_id_char) &&
      !contains_secret_like(client_value)) {  // a misplaced token is not echoed or logged
    return std::string(client_value);
  }
  return fresh_request_id(random);
}

void start_session(asio::ip::tcp::socket socket, ServerState& state) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // the client is already gone
  std::string remote_ip = endpoint.address().to_string();
  socket.set_option(asio::ip::tcp::no_delay(true), ec);

  if (state.tls != nullptr) {
    auto s = std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(socket), state, std::move(remote_ip));
    state.tracker.on_session_start(s);
    s->run();
  } else {
    auto s = std::make_shared<HttpSession<beast::tcp_stream>>(std::move(socket), state,
                                                              std::move(remote_ip));
    state.tracker.on_session_start(s);
    s->run();
  }
}

}  // namespace latchkey::http::internal
