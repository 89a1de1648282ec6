#include "http/internal/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "core/clock.h"
#include "core/log_context.h"
#include "core/log_line.h"
#include "core/random.h"
#include "core/redaction.h"
#include "core/secret.h"
#include "core/time.h"
#include "core/trace_context.h"
#include "http/access_log.h"
#include "http/client_address.h"
#include "http/error_response.h"
#include "http/executor.h"
#include "http/framing.h"
#include "http/proxy_protocol.h"

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
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

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

// `header_section`: the fields of a chunked request as they were before its
// body, or null to take every field. Trailer fields are dropped (a trailer
// must not pass for a header, RFC 9110 §6.5.1); they cannot
// be cut off by position, because Beast inserts each one next to a header
// field of the same name (found by the framing fuzz target: a trailer
// "Host" became a second Host and pushed the last header field out).
Request to_request(bhttp::request<bhttp::string_body>&& in, HeaderList* header_section) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.body = std::move(in.body());
  if (header_section != nullptr) {
    out.headers = std::move(*header_section);
    return out;
  }
  // One buffer for every name and value: sized first, then filled.
  std::size_t count = 0;
  std::size_t bytes = 0;
  for (const auto& field : in) {
    ++count;
    bytes += field.name_string().size() + field.value().size();
  }
  out.headers.reserve(count, bytes);
  for (const auto& field : in) out.headers.add(field.name_string(), field.value());
  return out;
}

Response invoke_handler(const Handler& handler, const Request& request, const PathParams& params) {
  // Handlers return errors as values; an exception here is a bug, and it
  // costs one 500, not the connection or the process.
  const ScopedLogContext log_context({request.request_id, request.trace.trace_id});
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

Response internal_error() { return error_response(Error::internal("internal server error")); }

// Lines go to `sink` (never blocks), else to spdlog's default logger.
void write_access_log(AccessLog* sink, LogFormat format, const Request& request, int status,
                      SteadyClock::time_point started, const std::string& principal,
                      const Clock& clock) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started).count();
  // Path only: query strings, headers and bodies may carry secrets.
  // One buffer per I/O thread, reused: no allocation per line once warm.
  thread_local std::string line;
  line.clear();
  line.reserve(384);
  char numbers[32];
  LogLine out(line, format, format_rfc3339(clock.now()), "info", "access", "request");
  out.field("request_id", request.request_id);
  if (!request.trace.empty()) {
    out.field("trace_id", request.trace.trace_id).field("span_id", request.trace.span_id);
  }
  out.field("remote", request.remote_ip)
      .field("method", request.method)
      .field("path", redact_secrets(request.path()));
  auto end = fmt::format_to(numbers, "{}", status);
  out.number("status", std::string_view(numbers, static_cast<std::size_t>(end - numbers)));
  end = fmt::format_to(numbers, "{:.3f}", static_cast<double>(micros) / 1000.0);
  out.number("duration_ms", std::string_view(numbers, static_cast<std::size_t>(end - numbers)));
  out.field("principal", principal);
  out.finish();
  if (sink != nullptr) {
    sink->append(line);
  } else {
    spdlog::default_logger_raw()->info(line);
  }
}

// The request's trace (core/trace_context.h) from every traceparent and
// tracestate header line of the request's headers (never its trailers).
TraceContext trace_of(const HeaderList& headers, Random& random) {
  std::vector<std::string_view> parents;
  std::vector<std::string_view> states;
  for (const HeaderView h : headers) {
    if (iequals(h.name, "traceparent")) parents.push_back(h.value);
    if (iequals(h.name, "tracestate")) states.push_back(h.value);
  }
  return continue_or_start_trace(parents, states, random);
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

  HttpSession(asio::ip::tcp::socket&& socket, ServerState& state, std::string remote_ip,
              ConnectionSlot slot)
      : state_(state),
        executor_(socket.get_executor()),
        stream_(make_stream(std::move(socket), state)),
        read_timer_(executor_),
        remote_ip_(std::move(remote_ip)),
        peer_trusted_(state.options.trusted_proxies.contains(remote_ip_)),
        slot_(std::move(slot)),
        opened_at_(state.clock.now()) {}

  ~HttpSession() override {
    if (body_source_) body_source_->cancel();
    state_.tracker.on_session_end(this);
  }

  void run() { asio::dispatch(executor_, beast::bind_front_handler(&HttpSession::on_run, self())); }

  void drain() override {
    asio::post(executor_, beast::bind_front_handler(&HttpSession::on_drain, self()));
  }

  void force_close() override {
    asio::post(executor_, beast::bind_front_handler(&HttpSession::close_now, self()));
  }

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

  // The Responder handed to a kAsync handler. It holds the session until
  // respond() (or until the client is gone), so the connection stays
  // registered with the server and a drain waits for the answer. Its state is
  // guarded by mu_ because respond() may come from any thread; the session
  // itself is touched only on its I/O thread (respond() posts there).
  class AsyncResponder final : public Responder {
   public:
    AsyncResponder(std::shared_ptr<HttpSession> session, std::uint64_t generation)
        : executor_(session->executor_), session_(std::move(session)), generation_(generation) {}

    ~AsyncResponder() override {
      // Dropped without an answer (a handler bug): the client still gets one.
      if (auto session = claim()) {
        spdlog::error("an asynchronous handler dropped its responder without answering");
        deliver(std::move(session), internal_error());
      }
    }

    void respond(Response response) override {
      if (auto session = claim()) {
        deliver(std::move(session), std::move(response));
      } else if (response.body_source) {
        response.body_source->cancel();  // too late: no one reads it
      }
    }

    void on_client_gone(std::function<void()> on_gone) override {
      std::lock_guard lock(mu_);
      if (session_) on_gone_ = std::move(on_gone);
    }

    const Executor& executor() const override { return executor_; }

    // On the I/O thread, when the client went away first: detaches the
    // session and returns the on_gone callback to run (empty when none was
    // set), or nullopt when respond() came first.
    std::optional<std::function<void()>> abandon() {
      std::shared_ptr<HttpSession> session;
      std::function<void()> on_gone;
      {
        std::lock_guard lock(mu_);
        if (!session_) return std::nullopt;
        session = std::move(session_);
        on_gone = std::move(on_gone_);
      }
      return on_gone;
    }

   private:
    // Takes the session for the one answer; null once answered or abandoned.
    std::shared_ptr<HttpSession> claim() {
      std::shared_ptr<HttpSession> session;
      std::function<void()> on_gone;  // released outside the lock: it may own anything
      {
        std::lock_guard lock(mu_);
        session = std::move(session_);
        on_gone = std::move(on_gone_);
      }
      return session;
    }

    void deliver(std::shared_ptr<HttpSession> session, Response response) {
      asio::post(executor_.get(), [session = std::move(session), generation = generation_,
                                   response = std::move(response)]() mutable {
        session->on_async_response(generation, std::move(response));
      });
    }

    const Executor executor_;
    std::mutex mu_;
    std::shared_ptr<HttpSession> session_;  // guarded by mu_; null once answered or abandoned
    std::function<void()> on_gone_;         // guarded by mu_
    const std::uint64_t generation_;
  };

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
    if (options().proxy_protocol) {
      phase_ = Phase::kHandshake;
      tcp().expires_after(options().read_timeout);
      return read_proxy_header();
    }
    start_protocol();
  }

  // With proxy_protocol: the raw bytes before TLS or HTTP. A trusted peer
  // must open with a PROXY header, an untrusted one must not
  // (docs/proxies.md); either mistake, or a malformed header, closes the
  // connection. Bytes read past the header stay in buffer_ for what follows.
  void read_proxy_header() {
    const std::string_view bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (peer_trusted_) {
      const ProxyParse parsed = parse_proxy_header(bytes);
      if (parsed.status == ProxyParse::Status::kInvalid) {
        spdlog::debug("PROXY header from {} refused: {}", remote_ip_, parsed.error);
        return close_now();
      }
      if (parsed.status == ProxyParse::Status::kDone) {
        buffer_.consume(parsed.header.length);
        if (parsed.header.source) {
          remote_ip_ = parsed.header.source->to_string();
          peer_trusted_ = options().trusted_proxies.contains(*parsed.header.source);
        }
        return start_protocol();
      }
    } else {
      switch (detect_proxy_signature(bytes)) {
        case ProxySignature::kYes:
          spdlog::debug("PROXY header from untrusted peer {} refused", remote_ip_);
          return close_now();
        case ProxySignature::kNo:
          return start_protocol();
        case ProxySignature::kMaybe:
          break;
      }
    }
    // Never more than one v2 header's worth: the parser refuses beyond it.
    tcp().async_read_some(buffer_.prepare(kFirstReadBytes),
                          [self = self()](error_code ec, std::size_t n) {
                            if (self->closed()) return;
                            if (ec) return self->close_now();
                            self->buffer_.commit(n);
                            self->read_proxy_header();
                          });
  }

  void start_protocol() {
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      tcp().expires_after(options().read_timeout);
      if (buffer_.size() > 0) {  // read with a PROXY header: the start of the ClientHello
        return stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                                       [self = self()](error_code ec, std::size_t) {
                                         self->buffer_.consume(self->buffer_.size());
                                         self->on_handshake(ec);
                                       });
      }
      stream_.async_handshake(asio::ssl::stream_base::server,
                              beast::bind_front_handler(&HttpSession::on_handshake, self()));
    } else {
      wait_for_request();
    }
  }

  // The one place a request's client address is decided.
  void stamp_client(Request& request) const {
    const ClientAddress client =
        peer_trusted_ ? resolve_client_address(options().trusted_proxies, remote_ip_, request)
                      : ClientAddress{remote_ip_, false};
    request.remote_ip = client.client;
    request.peer_ip = remote_ip_;
    request.peer_trusted = client.peer_trusted;
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
    head_scanned_ = 0;
    header_section_.reset();
    read_head();
  }

  // Reads until the whole head is in buffer_ and checks its framing on the
  // raw bytes (framing.h: Beast 1.74 accepts smuggling forms), then lets
  // Beast parse it from the buffer. A head that does not end within
  // max_header_bytes goes to Beast too, which answers 431.
  void read_head() {
    const std::string_view bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const std::size_t head_end = find_head_end(bytes, head_scanned_);
    if (head_end != std::string_view::npos) {
      const HeadCheck check = check_request_head(bytes.substr(0, head_end));
      if (!check.ok()) return refuse_framing(check.error, check.method, check.target);
    } else if (const FramingError early = check_head_prefix(bytes); early != FramingError::kNone) {
      return refuse_framing(early, {}, {});
    } else if (bytes.size() < options().max_header_bytes) {
      head_scanned_ = bytes.size() >= 2 ? bytes.size() - 2 : 0;
      stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                              [self = self()](error_code ec, std::size_t n) {
                                if (self->closed()) return;
                                if (ec) return self->on_read_error(ec);
                                self->buffer_.commit(n);
                                self->read_head();
                              });
      return;
    }
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&HttpSession::on_header, self()));
  }

  // A request whose framing check failed: 400 with the reason, then close.
  void refuse_framing(FramingError error, std::string_view method, std::string_view target) {
    stop_read_timer();
    send_error(
        Error::invalid_request("malformed HTTP request: " + std::string(framing_description(error)))
            .with_reason(std::string(framing_reason(error))),
        0, method, target);
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
    if (parser_->chunked()) {
      // What follows are trailer fields: the header section is kept as it is
      // now, and to_request() uses it (trailers are dropped).
      header_section_.emplace();
      for (const auto& field : parser_->get()) {
        header_section_->add(field.name_string(), field.value());
      }
      // A chunk-size line must end within kMaxChunkLineBytes: Beast keeps
      // buffering an unterminated one, so the buffer is bounded meanwhile
      // (reading past the limit fails with buffer_overflow).
      chunk_line_too_long_ = false;
      parser_->on_chunk_header(on_chunk_header_);
      buffer_.max_size(std::max(kMaxChunkLineBytes, buffer_.size()));
    }
    bhttp::async_read(stream_, buffer_, *parser_, [self = self()](error_code ec, std::size_t) {
      self->buffer_.max_size(self->buffer_max_);
      if (self->closed()) return;
      if (ec && !self->timed_out_ &&
          (self->chunk_line_too_long_ || ec == bhttp::error::buffer_overflow)) {
        return self->refuse_framing(FramingError::kChunkLineTooLong, {}, {});
      }
      if (ec) return self->on_read_error(ec);
      self->on_request_read();
    });
  }

  // Beast's on_chunk_header callback: the extensions of a chunk line that
  // did end within the buffer may still be over the limit.
  void check_chunk_header(std::uint64_t, beast::string_view extensions, error_code& ec) {
    if (extensions.size() + 2 > kMaxChunkLineBytes) {
      chunk_line_too_long_ = true;
      ec = bhttp::error::bad_chunk_extension;
    }
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
  // `method` and `target`: when Beast parsed nothing (a framing refusal).
  void send_error(Error error, int status_override = 0, std::string_view method = {},
                  std::string_view target = {}) {
    Request request;
    const auto& partial = parser_->get();
    request.method = std::string(method.empty() ? partial.method_string() : method);
    request.target = std::string(target.empty() ? partial.target() : target);
    if (header_section_) {
      // A chunked request failed after its head: Beast has merged trailer
      // fields into `partial`, and a trailer must never name the client or
      // the trace.
      request.headers = *header_section_;
    } else {
      for (const auto& field : partial) request.headers.add(field.name_string(), field.value());
    }
    stamp_client(request);
    request.request_id =
        choose_request_id(request.headers.find("X-Request-Id").value_or(""), state_.random);
    request.trace = trace_of(request.headers, state_.random);
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

    Request request = to_request(std::move(message), header_section_ ? &*header_section_ : nullptr);
    header_section_.reset();
    stamp_client(request);
    request.request_id =
        choose_request_id(request.headers.find("X-Request-Id").value_or(""), state_.random);
    request.trace = trace_of(request.headers, state_.random);

    // One atomic load per request; the snapshot changes only after a reload.
    if (const std::uint64_t generation = state_.router.generation();
        router_ == nullptr || generation != router_generation_) {
      router_ = state_.router.current();
      router_generation_ = generation;
    }
    Router::Match match = router_->match(request.method, request.path());
    route_ = match.pattern;
    if (match.async_handler != nullptr) {
      return start_async(*match.async_handler, std::move(request), std::move(match.params));
    }
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

  // kAsync: the handler runs here and answers later through a Responder.
  // Meanwhile the connection stays in kHandling (a drain waits for it) and
  // the socket is watched so that a client that hangs up is noticed.
  void start_async(const AsyncHandler& handler, Request request, PathParams params) {
    awaiting_ = true;
    const std::uint64_t generation = ++async_generation_;
    // What send_response() and the logs need; the handler owns the request.
    pending_.emplace();
    pending_->method = request.method;
    pending_->target = request.target;
    pending_->remote_ip = request.remote_ip;
    pending_->peer_ip = request.peer_ip;
    pending_->peer_trusted = request.peer_trusted;
    pending_->request_id = request.request_id;
    pending_->trace = request.trace;
    auto responder = std::make_shared<AsyncResponder>(self(), generation);
    responder_ = responder;
    // Copies: pending_ may be reset while the handler runs.
    const std::string log_request_id = pending_->request_id;
    const std::string log_trace_id = pending_->trace.trace_id;
    const ScopedLogContext log_context({log_request_id, log_trace_id});
    try {
      handler(std::move(request), std::move(params), responder);
    } catch (const std::exception& e) {
      spdlog::error("async handler threw: request_id={} method={} path={} what={}",
                    pending_->request_id, pending_->method, redact_secrets(pending_->path()),
                    e.what());
      responder->respond(internal_error());
    } catch (...) {
      spdlog::error("async handler threw a non-exception: request_id={} method={} path={}",
                    pending_->request_id, pending_->method, redact_secrets(pending_->path()));
      responder->respond(internal_error());
    }
    responder.reset();  // a handler that kept no reference gets its 500 posted here
    if (awaiting_ && generation == async_generation_ && !closed()) watch_client(generation);
  }

  // Waits for the socket to become readable while an async answer is
  // outstanding: end of stream or an error means the client is gone; data
  // means it pipelined its next request, which is read after the answer, so
  // the watch ends there. TLS: the raw bytes are records, so a close_notify
  // counts as data (best effort: only a bare TCP close or reset is noticed).
  void watch_client(std::uint64_t generation) {
    tcp().socket().async_wait(
        asio::socket_base::wait_read,
        [self = self(), generation](error_code ec) { self->on_client_readable(ec, generation); });
  }

  void on_client_readable(error_code ec, std::uint64_t generation) {
    if (closed() || !awaiting_ || generation != async_generation_) return;
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      char byte;
      const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) return;  // pipelined data: stop watching
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return watch_client(generation);
      }
    }
    spdlog::debug("client {} went away before the answer to request_id={}", remote_ip_,
                  pending_ ? pending_->request_id : std::string());
    close_now();  // fires on_client_gone
  }

  // On the I/O thread, posted by AsyncResponder::respond().
  void on_async_response(std::uint64_t generation, Response response) {
    if (closed() || !awaiting_ || generation != async_generation_) {
      if (response.body_source) response.body_source->cancel();
      return;
    }
    awaiting_ = false;
    responder_.reset();
    error_code ignored;
    tcp().socket().cancel(ignored);  // ends the watch
    Request request = std::move(*pending_);
    pending_.reset();
    send_response(std::move(request), std::move(response));
  }

  // The client is gone (or the connection is force-closed) before the async
  // answer: the request is abandoned and on_client_gone runs, unless
  // respond() came first (its answer is then dropped on arrival).
  void abandon_async() {
    awaiting_ = false;
    ++async_generation_;
    pending_.reset();
    auto responder = responder_.lock();
    responder_.reset();
    if (!responder) return;
    auto on_gone = responder->abandon();
    if (!on_gone || !*on_gone) return;
    try {
      (*on_gone)();
    } catch (const std::exception& e) {
      spdlog::error("on_client_gone threw: {}", e.what());
    } catch (...) {
      spdlog::error("on_client_gone threw a non-exception");
    }
  }

  template <class Body>
  void fill_head(bhttp::response<Body>& res, const Request& request, const Response& response) {
    res.version(request_version_ == 10 ? 10 : 11);
    res.result(static_cast<unsigned>(response.status));
    res.set(bhttp::field::server, "latchkey");
    for (const auto& header : response.headers) {
      if (is_framing_header(header.name)) continue;
      if (!is_safe_header(header)) {
        spdlog::error("dropping a response header with unsafe characters for {}",
                      redact_secrets(request.path()));
        continue;
      }
      res.insert(header.name, header.value);
    }
    res.set("X-Request-Id", request.request_id);
  }

  void report(const Request& request, const Response& response) {
    // Access lines are info-level: a quieter level, also one set later
    // (a SIGHUP reload), silences them.
    if (options().access_log && spdlog::default_logger_raw()->should_log(spdlog::level::info)) {
      write_access_log(options().access_log_sink.get(), options().access_log_format, request,
                       response.status, started_, response.principal_for_log, state_.clock);
    }
    if (options().observer) {
      options().observer(RequestObservation{
          request.method, route_ != nullptr ? std::string_view(*route_) : std::string_view(),
          response.status, SteadyClock::now() - started_});
    }
  }

  void send_response(Request request, Response response) {
    if (closed()) {  // force-closed while the handler ran
      if (response.body_source) response.body_source->cancel();
      return;
    }
    phase_ = Phase::kWriting;
    const bool keep_alive = keep_alive_ && !draining_ && !worn_out();

    if (response.status < 200 || response.status > 599) {
      spdlog::error("handler returned status {} for {} {}; answering 500", response.status,
                    request.method, redact_secrets(request.path()));
      if (response.body_source) response.body_source->cancel();
      response = internal_error();
    }
    report(request, response);
    if (response.body_source) return send_streamed(request, response, keep_alive);

    res_.emplace();
    fill_head(*res_, request, response);
    const bool no_body = response.status == 204 || response.status == 304;
    if (!no_body) res_->body() = std::move(response.body);
    res_->keep_alive(keep_alive);
    res_->prepare_payload();
    if (request.method == "HEAD") {
      const auto length = res_->body().size();
      res_->body().clear();
      if (!no_body) res_->content_length(length);
    }

    keep_alive_ = keep_alive;
    tcp().expires_after(options().write_timeout);
    bhttp::async_write(stream_, *res_, beast::bind_front_handler(&HttpSession::on_write, self()));
  }

  void on_write(error_code ec, std::size_t) {
    if (closed()) return;
    res_.reset();
    if (ec) return close_now();
    finish_response();
  }

  void finish_response() {
    if (!keep_alive_) return close_gracefully();
    wait_for_request();
  }

  // A body from a BodySource: the header first (Content-Length when known,
  // else chunked, else, for HTTP/1.0, delimited by closing the connection),
  // then one piece at a time, each written before the next is read.
  void send_streamed(const Request& request, Response& response, bool keep_alive) {
    const bool head = request.method == "HEAD";
    const bool no_body = response.status == 204 || response.status == 304;
    head_.emplace();
    fill_head(*head_, request, response);
    ++body_generation_;
    body_source_ = std::move(response.body_source);
    body_length_ = response.content_length;
    body_sent_ = 0;
    body_chunked_ = false;
    if (!no_body) {
      if (body_length_) {
        head_->content_length(*body_length_);
      } else if (request_version_ != 10) {
        head_->chunked(true);
        body_chunked_ = true;
      } else if (!head) {
        keep_alive = false;  // HTTP/1.0: the body ends with the connection
      }
    }
    head_->keep_alive(keep_alive);
    keep_alive_ = keep_alive;
    if (head || no_body) end_body(/*cancel=*/true);
    head_serializer_.emplace(*head_);
    tcp().expires_after(options().write_timeout);
    bhttp::async_write_header(stream_, *head_serializer_,
                              [self = self()](error_code ec, std::size_t) {
                                if (self->closed()) return;
                                self->head_serializer_.reset();
                                self->head_.reset();
                                if (ec) return self->close_now();
                                if (!self->body_source_) return self->finish_response();
                                self->read_piece();
                              });
  }

  void read_piece() {
    // No write is pending: the source sets the pace (the gateway has its
    // own upstream timeouts); write_timeout is re-armed for each write.
    tcp().expires_never();
    const std::uint64_t generation = body_generation_;
    // A reference of our own: a source answering inside read() may end the
    // body there, and it must outlive its own call.
    const auto source = body_source_;
    source->read([self = self(), generation](BodySource::Chunk chunk) {
      // The contract says the I/O thread; dispatch() runs inline there.
      asio::dispatch(self->executor_,
                     [self, generation, chunk] { self->on_piece(generation, chunk); });
    });
  }

  void on_piece(std::uint64_t generation, BodySource::Chunk chunk) {
    if (closed() || generation != body_generation_ || !body_source_) return;
    if (chunk.failed) {
      spdlog::warn("response body source failed after {} bytes; closing the connection",
                   body_sent_);
      return close_now();  // cancels the source
    }
    if (chunk.done) {
      end_body(/*cancel=*/false);  // releases the source now
      if (body_length_ && body_sent_ != *body_length_) {
        spdlog::error("response body source ended after {} of {} bytes; closing the connection",
                      body_sent_, *body_length_);
        return close_now();
      }
      // Posted, so that read() has returned and the source is gone before
      // the client sees the end of the body.
      return asio::post(executor_, [self = self()] {
        if (self->closed()) return;
        if (!self->body_chunked_) return self->finish_response();
        self->tcp().expires_after(self->options().write_timeout);
        asio::async_write(self->stream_, asio::buffer(kLastChunk.data(), kLastChunk.size()),
                          [self](error_code ec, std::size_t) {
                            if (self->closed()) return;
                            if (ec) return self->close_now();
                            self->finish_response();
                          });
      });
    }
    if (chunk.data.empty()) {  // nothing yet: ask again, without recursion
      return asio::post(executor_, [self = self(), generation] {
        if (!self->closed() && generation == self->body_generation_ && self->body_source_) {
          self->read_piece();
        }
      });
    }
    if (body_length_ && chunk.data.size() > *body_length_ - body_sent_) {
      spdlog::error("response body source sent more than its {} bytes; closing the connection",
                    *body_length_);
      return close_now();
    }
    body_sent_ += chunk.data.size();
    tcp().expires_after(options().write_timeout);
    // The piece stays valid until the next read(); the handler keeps the
    // source alive until the write is over, even if the session closes.
    auto on_written = [self = self(), source = body_source_](error_code ec, std::size_t) mutable {
      source.reset();  // the session's own reference is enough from here
      if (self->closed()) return;
      if (ec) return self->close_now();
      if (self->body_source_) self->read_piece();
    };
    const auto piece = asio::buffer(chunk.data.data(), chunk.data.size());
    if (body_chunked_) {
      chunk_prefix_ = fmt::format("{:x}\r\n", chunk.data.size());
      const std::array<asio::const_buffer, 3> buffers{asio::buffer(chunk_prefix_), piece,
                                                      asio::buffer(kCrlf.data(), kCrlf.size())};
      asio::async_write(stream_, buffers, std::move(on_written));
    } else {
      asio::async_write(stream_, piece, std::move(on_written));
    }
  }

  // The body is over (done, failed, or the connection closes): forget the
  // source at once so that what it holds is released; cancel() it unless it
  // finished.
  void end_body(bool cancel) {
    ++body_generation_;
    auto source = std::move(body_source_);
    body_source_.reset();
    if (source && cancel) source->cancel();
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
    // Before the socket closes, so that whoever sees the close also sees
    // the source cancelled and on_client_gone run.
    end_body(/*cancel=*/true);
    if (awaiting_) abandon_async();
    tcp().close();
    slot_.release();  // counts against the caps only while open
  }

  bool closed() const { return phase_ == Phase::kClosed; }

  // This connection has served its share (max_requests_per_connection) or
  // lived long enough (max_connection_age): its next response is its last.
  bool worn_out() const {
    const auto max_requests = options().max_requests_per_connection;
    if (max_requests != 0 && served_ >= max_requests) return true;
    const auto max_age = options().max_connection_age;
    return max_age.count() != 0 && state_.clock.now() - opened_at_ >= max_age;
  }

  ServerState& state_;
  asio::any_io_executor executor_;  // the connection's single-threaded io_context
  Stream stream_;
  beast::flat_buffer buffer_;
  const std::size_t buffer_max_ = buffer_.max_size();  // restored after a chunked body
  asio::steady_timer read_timer_;
  std::string remote_ip_;    // the peer: TCP, or the source a trusted PROXY header named
  bool peer_trusted_;        // remote_ip_ is in trusted_proxies
  ConnectionSlot slot_;      // released when the socket closes
  const Instant opened_at_;  // by state_.clock, for max_connection_age

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
  const std::string* route_ = nullptr;  // the request's route pattern (owned by router_)
  // The router of this connection's requests: kept until the next request
  // finds a newer generation, so a reload never frees what a request uses.
  std::shared_ptr<const Router> router_;
  std::uint64_t router_generation_ = 0;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::size_t head_scanned_ = 0;              // buffer_ bytes already searched for the head's end
  std::optional<HeaderList> header_section_;  // a chunked request's fields before its trailer
  bool chunk_line_too_long_ = false;
  std::function<void(std::uint64_t, beast::string_view, error_code&)> on_chunk_header_ =
      [this](std::uint64_t size, beast::string_view extensions, error_code& ec) {
        check_chunk_header(size, extensions, ec);
      };
  std::optional<bhttp::response<bhttp::string_body>> res_;

  // An outstanding kAsync request (awaiting_), and its responder.
  bool awaiting_ = false;
  std::uint64_t async_generation_ = 0;  // bumped per async request and when one is abandoned
  std::optional<Request> pending_;      // the request's method, target, ids (no body)
  std::weak_ptr<AsyncResponder> responder_;

  // A streamed response body in progress (body_source_ set).
  std::optional<bhttp::response<bhttp::empty_body>> head_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> head_serializer_;
  std::shared_ptr<BodySource> body_source_;
  std::uint64_t body_generation_ = 0;  // stale source callbacks are ignored
  std::optional<std::uint64_t> body_length_;
  std::uint64_t body_sent_ = 0;
  bool body_chunked_ = false;
  std::string chunk_prefix_;  // "<hex size>\r\n" of the chunk being written
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
      !contains_secret_like(client_value) &&
      !looks_like_secret(client_value)) {  // a misplaced token is not echoed or logged
    return std::string(client_value);
  }
  return fresh_request_id(random);
}

void start_session(asio::ip::tcp::socket socket, std::string remote_ip, ConnectionSlot slot,
                   ServerState& state) {
  error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);

  if (state.tls != nullptr) {
    auto s = std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(socket), state, std::move(remote_ip), std::move(slot));
    state.tracker.on_session_start(s);
    s->run();
  } else {
    auto s = std::make_shared<HttpSession<beast::tcp_stream>>(
        std::move(socket), state, std::move(remote_ip), std::move(slot));
    state.tracker.on_session_start(s);
    s->run();
  }
}

}  // namespace latchkey::http::internal
