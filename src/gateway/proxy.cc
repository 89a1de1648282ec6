#include "gateway/proxy.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <limits>
#include <optional>
#include <unordered_map>

#include "gateway/headers.h"
#include "http/error_response.h"
#include "http/executor.h"
#include "metrics/metrics.h"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kBodyPieceBytes = 16 * 1024;
constexpr std::uint32_t kMaxUpstreamHeaderBytes = 64 * 1024;
// 1xx responses skipped before the final one; more is a broken upstream.
constexpr int kMaxInterimResponses = 16;

// True when an idle pooled connection is still usable: the upstream has
// neither closed it nor sent anything unasked.
bool still_open(beast::tcp_stream& stream) {
  char byte = 0;
  const auto n =
      ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT | MSG_NOSIGNAL);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Idle keep-alive connections of one io_context (one I/O thread), per
// upstream. Only touched from that thread; destroyed with the io_context.
class ConnectionPool : public asio::execution_context::service {
 public:
  using key_type = ConnectionPool;
  static inline asio::execution_context::id id;

  explicit ConnectionPool(asio::execution_context& context)
      : asio::execution_context::service(context) {}

  std::unique_ptr<beast::tcp_stream> take(const std::string& upstream) {
    auto it = idle_.find(upstream);
    if (it == idle_.end()) return nullptr;
    while (!it->second.empty()) {
      std::unique_ptr<beast::tcp_stream> stream = std::move(it->second.back());
      it->second.pop_back();
      if (still_open(*stream)) return stream;
    }
    return nullptr;
  }

  void put(const std::string& upstream, std::unique_ptr<beast::tcp_stream> stream) {
    auto& idle = idle_[upstream];
    if (idle.size() >= kMaxIdlePerUpstream) return;  // closed as it goes out of scope
    stream->expires_never();
    idle.push_back(std::move(stream));
  }

 private:
  void shutdown() override { idle_.clear(); }

  std::unordered_map<std::string, std::vector<std::unique_ptr<beast::tcp_stream>>> idle_;
};

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(ProxyJob job, asio::any_io_executor executor)
      : job_(std::move(job)),
        executor_(std::move(executor)),
        pool_(asio::use_service<ConnectionPool>(asio::query(executor_, asio::execution::context))),
        resolver_(executor_) {}

  void start() {
    std::weak_ptr<Exchange> weak = weak_from_this();
    job_.responder->on_client_gone([weak] {
      if (auto self = weak.lock()) self->abandon();
    });
    request_.method_string(job_.method);
    request_.target(job_.target);
    request_.version(11);
    for (const http::Header& h : job_.headers) request_.insert(h.name, h.value);
    request_.body() = std::move(job_.body);
    request_.prepare_payload();
    request_.keep_alive(true);
    started_ = SteadyClock::now();
    if (auto pooled = pool_.take(job_.route->upstream.key())) {
      stream_ = std::move(pooled);
      reused_ = true;
      send();
    } else {
      connect();
    }
  }

  // BodySource::read
  void read_body(std::function<void(http::BodySource::Chunk)> next) {
    if (ended_) {
      next({.failed = true});
      return;
    }
    if (parser_->is_done()) {
      body_complete();
      next({.done = true});
      return;
    }
    auto& body = parser_->get().body();
    body.data = piece_.data();
    body.size = piece_.size();
    body.more = true;
    stream_->expires_after(job_.route->timeout);
    bhttp::async_read(
        *stream_, buffer_, *parser_,
        [self = shared_from_this(), next = std::move(next)](error_code ec, std::size_t) mutable {
          if (ec == bhttp::error::need_buffer) ec = {};
          if (self->ended_) {
            next({.failed = true});
            return;
          }
          if (ec) {
            self->close_stream();
            self->end(UpstreamOutcome::kError);
            next({.failed = true});
            return;
          }
          const std::size_t got = self->piece_.size() - self->parser_->get().body().size;
          if (got == 0) {
            self->read_body(std::move(next));
            return;
          }
          next({.data = std::string_view(self->piece_.data(), got)});
        });
  }

  // BodySource::cancel, and the client going away before the answer.
  void abandon() {
    if (ended_) return;
    end(UpstreamOutcome::kAbandoned);  // the slot first: it is free once the upstream sees EOF
    close_stream();
  }

 private:
  void connect() {
    reused_ = false;
    stream_ = std::make_unique<beast::tcp_stream>(executor_);
    const Upstream& upstream = job_.route->upstream;
    error_code ec;
    const auto address = asio::ip::make_address(upstream.host, ec);
    stream_->expires_after(job_.route->connect_timeout);
    if (!ec) {
      stream_->async_connect(tcp::endpoint(address, upstream.port),
                             [self = shared_from_this()](error_code e) { self->on_connect(e); });
      return;
    }
    resolver_.async_resolve(
        upstream.host, std::to_string(upstream.port),
        [self = shared_from_this()](error_code e, const tcp::resolver::results_type& results) {
          if (self->ended_) return;
          if (e) {
            self->fail(UpstreamOutcome::kUnreachable, "upstream_unreachable",
                       "cannot resolve the upstream host");
            return;
          }
          self->stream_->async_connect(
              results, [self](error_code c, const tcp::endpoint&) { self->on_connect(c); });
        });
  }

  void on_connect(error_code ec) {
    if (ended_) return;
    if (ec == beast::error::timeout) {
      fail(UpstreamOutcome::kTimeout, "upstream_connect_timeout",
           "the upstream did not accept a connection in time");
      return;
    }
    if (ec) {
      fail(UpstreamOutcome::kUnreachable, "upstream_unreachable",
           "the upstream is unreachable: " + ec.message());
      return;
    }
    send();
  }

  void send() {
    stream_->expires_after(job_.route->timeout);
    bhttp::async_write(*stream_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->ended_) return;
      if (ec) {
        self->on_upstream_error(ec);
        return;
      }
      self->buffer_.clear();
      self->read_header();
    });
  }

  // The next response head, with a fresh parser (bytes already read stay
  // in buffer_). The deadline set in send() is not re-armed: interim
  // responses do not extend the time the upstream has to answer.
  void read_header() {
    parser_.emplace();
    parser_->body_limit((std::numeric_limits<std::uint64_t>::max)());
    parser_->header_limit(kMaxUpstreamHeaderBytes);
    if (job_.method == "HEAD") parser_->skip(true);
    bhttp::async_read_header(
        *stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code e, std::size_t) { self->on_header(e); });
  }

  void on_upstream_error(error_code ec) {
    const bool nothing_received =
        interim_responses_ == 0 && (!parser_ || (!parser_->got_some() && buffer_.size() == 0));
    if (reused_ && !retried_ && nothing_received && ec != beast::error::timeout &&
        is_idempotent(job_.method)) {
      // A pooled connection the upstream had closed: once more, fresh.
      retried_ = true;
      close_stream();
      parser_.reset();
      connect();
      return;
    }
    if (ec == beast::error::timeout) {
      fail(UpstreamOutcome::kTimeout, "upstream_timeout",
           "the upstream did not answer within " + std::to_string(job_.route->timeout.count()) +
               " ms");
      return;
    }
    fail(UpstreamOutcome::kError, "upstream_error",
         "the upstream connection failed: " + ec.message());
  }

  void on_header(error_code ec) {
    if (ended_) return;
    if (ec) {
      on_upstream_error(ec);
      return;
    }
    // Interim responses (Beast reads a 1xx as a whole message without a
    // body): 100 Continue, 102, 103 Early Hints and the like are dropped
    // and the final response read from the same connection. A 101 would
    // turn the connection into another protocol, which the gateway does
    // not forward: 502, and the connection is closed, never pooled.
    const unsigned status = parser_->get().result_int();
    if (status >= 100 && status < 200) {
      if (status == 101) {
        fail(UpstreamOutcome::kError, "upstream_error",
             "the upstream switched protocols (101); the gateway does not forward upgrades");
        return;
      }
      if (++interim_responses_ > kMaxInterimResponses) {
        fail(UpstreamOutcome::kError, "upstream_error",
             "the upstream sent too many interim (1xx) responses");
        return;
      }
      read_header();
      return;
    }
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    if (job_.metrics != nullptr) {
      job_.metrics->seconds->observe(seconds);
      job_.metrics->ok->inc();
    }
    counted_ = true;
    const auto& head = parser_->get();
    http::Response response;
    response.status = static_cast<int>(head.result_int());
    std::vector<http::Header> upstream_headers;
    for (const auto& field : head) {
      upstream_headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    response.headers = downstream_response_headers(upstream_headers);
    for (const http::Header& h : job_.extra_response_headers) response.headers.push_back(h);
    response.principal_for_log = job_.principal_for_log;
    if (parser_->is_done()) {
      if (job_.method == "HEAD") {
        // The length of the body a GET would get, without a body; no
        // Content-Length at all when the upstream sent none (an empty
        // `body` would make the server answer "Content-Length: 0").
        response.body_source = std::make_shared<NoBody>();
        if (auto length = parser_->content_length()) response.content_length = *length;
      }
      auto responder = job_.responder;
      body_complete();
      responder->respond(std::move(response));
      return;
    }
    if (auto length = parser_->content_length()) response.content_length = *length;
    response.body_source = std::make_shared<Body>(shared_from_this());
    job_.responder->respond(std::move(response));
  }

  // The whole response has been read: the connection may serve again.
  void body_complete() {
    if (ended_) return;
    const bool reusable = parser_->get().keep_alive() && buffer_.size() == 0;
    if (reusable && stream_) {
      pool_.put(job_.route->upstream.key(), std::move(stream_));
    } else {
      close_stream();
    }
    end(UpstreamOutcome::kOk);
  }

  void fail(UpstreamOutcome outcome, std::string reason, std::string description) {
    close_stream();
    if (job_.metrics != nullptr && !counted_) {
      counted_ = true;
      switch (outcome) {
        case UpstreamOutcome::kTimeout:
          job_.metrics->timeout->inc();
          break;
        case UpstreamOutcome::kUnreachable:
          job_.metrics->unreachable->inc();
          break;
        default:
          job_.metrics->error->inc();
          break;
      }
    }
    Error error{
        outcome == UpstreamOutcome::kTimeout ? ErrorCode::kGatewayTimeout : ErrorCode::kBadGateway,
        std::move(description), std::move(reason)};
    http::Response response = http::error_response(error);
    for (const http::Header& h : job_.extra_response_headers) response.headers.push_back(h);
    response.principal_for_log = job_.principal_for_log;
    auto responder = job_.responder;
    end(outcome);
    if (responder) responder->respond(std::move(response));
  }

  void close_stream() {
    resolver_.cancel();
    if (stream_) {
      error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_->close();
    }
  }

  void end(UpstreamOutcome outcome) {
    if (ended_) return;
    ended_ = true;
    if (auto on_end = std::move(job_.on_end)) {
      job_.on_end = nullptr;
      on_end(outcome);
    }
    release_responder();
  }

  // Break the cycle session -> body source -> exchange -> responder.
  void release_responder() {
    if (ended_) job_.responder.reset();
  }

  // A HEAD response's (empty) body: the server never reads it.
  class NoBody final : public http::BodySource {
   public:
    void read(std::function<void(Chunk)> next) override { next({.done = true}); }
    void cancel() override {}
  };

  class Body final : public http::BodySource {
   public:
    explicit Body(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
    void read(std::function<void(Chunk)> next) override { exchange_->read_body(std::move(next)); }
    void cancel() override { exchange_->abandon(); }

   private:
    std::shared_ptr<Exchange> exchange_;
  };

  ProxyJob job_;
  asio::any_io_executor executor_;
  ConnectionPool& pool_;
  tcp::resolver resolver_;
  std::unique_ptr<beast::tcp_stream> stream_;
  bhttp::request<bhttp::string_body> request_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::array<char, kBodyPieceBytes> piece_{};
  SteadyClock::time_point started_;
  int interim_responses_ = 0;  // 1xx skipped so far
  bool reused_ = false;
  bool retried_ = false;
  bool counted_ = false;
  bool ended_ = false;
};

}  // namespace

std::string_view to_string(UpstreamOutcome outcome) {
  switch (outcome) {
    case UpstreamOutcome::kOk:
      return "ok";
    case UpstreamOutcome::kTimeout:
      return "timeout";
    case UpstreamOutcome::kUnreachable:
      return "unreachable";
    case UpstreamOutcome::kError:
      return "error";
    case UpstreamOutcome::kAbandoned:
      return "abandoned";
  }
  return "error";
}

RouteMetrics RouteMetrics::for_route(const std::string& label) {
  static auto& requests = metrics::default_registry().counter_family(
      "latchkey_gateway_upstream_requests_total",
      "Requests the gateway sent to an upstream, by route and outcome (ok, timeout, "
      "unreachable, error).",
      {"route", "outcome"});
  static auto& seconds = metrics::default_registry().histogram_family(
      "latchkey_gateway_upstream_seconds",
      "Time from the start of an upstream call to the upstream's response headers.", {"route"});
  RouteMetrics m;
  m.ok = &requests.with({label, "ok"});
  m.timeout = &requests.with({label, "timeout"});
  m.unreachable = &requests.with({label, "unreachable"});
  m.error = &requests.with({label, "error"});
  m.seconds = &seconds.with({label});
  return m;
}

void proxy(ProxyJob job) {
  asio::any_io_executor executor = job.responder->executor().get();
  auto exchange = std::make_shared<Exchange>(std::move(job), std::move(executor));
  exchange->start();
}

}  // namespace latchkey::gateway
