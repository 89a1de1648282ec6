#include "gateway/proxy.h"

#include <sys/socket.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

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
using Chunk = http::BodySource::Chunk;

// The read buffer of a connection: a response head and a small body arrive
// in one recv(); a larger body is relayed in pieces of at most this size.
constexpr std::size_t kReadBufferBytes = 16 * 1024;
constexpr std::uint32_t kMaxUpstreamHeaderBytes = 64 * 1024;
// The buffer grows beyond kReadBufferBytes only for a head that large.
constexpr std::size_t kMaxReadBufferBytes = kMaxUpstreamHeaderBytes + kReadBufferBytes;
constexpr std::size_t kMinReadBytes = 512;
// 1xx responses skipped before the final one; more is a broken upstream.
constexpr int kMaxInterimResponses = 16;
constexpr SteadyClock::time_point kNever = SteadyClock::time_point::max();

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("\"(),/:;<=>?@[\\]{}").find(c) == std::string_view::npos;
}

// A header that can be written as one field line: a token name, and no CR,
// LF or NUL in the value (they would end the line, or the head, early).
bool is_writable(const http::Header& h) {
  if (h.name.empty()) return false;
  for (char c : h.name) {
    if (!is_token_char(c)) return false;
  }
  return h.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

// Beast's HTTP/1.1 response parser with callbacks of our own: the header
// fields are copied into the connection's `fields` (whose strings are
// reused from one response to the next: no allocation once they are large
// enough), trailer fields are dropped, and body bytes are either appended
// to a string (collect_into) or handed out one piece at a time, without a
// copy, as a view into the buffer being parsed (take_piece).
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  explicit ResponseParser(std::vector<http::Header>& fields) : fields_(fields) {}

  int status() const { return status_; }
  // Fields of the head (fields[0, field_count)); later elements are stale.
  std::size_t field_count() const { return field_count_; }
  // The head's Content-Length (Beast has validated it), also where the body
  // is skipped (HEAD, 204, 304). Kept here rather than read back through
  // basic_parser::content_length(), whose boost::optional GCC 12 reports as
  // maybe-uninitialized under ASan (a false positive -Werror makes fatal).
  std::optional<std::uint64_t> declared_length() const { return declared_length_; }

  // Body bytes go to `sink` (when not null) until the next call.
  void collect_into(std::string* sink) { sink_ = sink; }
  // The piece the last put() stopped at (a view into its buffer), or empty.
  std::string_view take_piece() { return std::exchange(piece_, {}); }

 private:
  void on_request_impl(bhttp::verb, std::string_view, std::string_view, int, error_code&) override {
  }

  void on_response_impl(int code, std::string_view, int, error_code&) override { status_ = code; }

  void on_field_impl(bhttp::field field, std::string_view name, std::string_view value,
                     error_code&) override {
    if (is_header_done()) return;  // a trailer: not forwarded
    if (field == bhttp::field::content_length) {
      std::uint64_t length = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec == std::errc() && end == value.data() + value.size()) declared_length_ = length;
    }
    if (field_count_ < fields_.size()) {
      fields_[field_count_].name.assign(name);
      fields_[field_count_].value.assign(value);
    } else {
      fields_.push_back({std::string(name), std::string(value)});
    }
    ++field_count_;
  }

  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(std::string_view body, error_code& ec) override {
    return take(body, ec);
  }
  void on_chunk_header_impl(std::uint64_t, std::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body, error_code& ec) override {
    return take(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t take(std::string_view body, error_code& ec) {
    if (sink_ != nullptr) {
      sink_->append(body);
      return body.size();
    }
    if (!piece_.empty()) {  // one piece per put(): the caller sends it before parsing on
      ec = bhttp::error::need_buffer;
      return 0;
    }
    piece_ = body;
    return body.size();
  }

  std::vector<http::Header>& fields_;
  std::size_t field_count_ = 0;
  std::optional<std::uint64_t> declared_length_;
  int status_ = 0;
  std::string* sink_ = nullptr;
  std::string_view piece_;
};

// A HEAD response's (empty) body: the server never reads it. Stateless, so
// one instance serves every thread.
class NoBody final : public http::BodySource {
 public:
  void read(std::function<void(Chunk)> next) override { next({.done = true}); }
  void cancel() override {}
};

std::shared_ptr<http::BodySource> no_body() {
  static const std::shared_ptr<http::BodySource> source = std::make_shared<NoBody>();
  return source;
}

// Memory for the pending operations of one connection. Asio allocates each
// operation (with its handler) through the handler's associated allocator
// and frees it before the handler runs. A connection has at most one
// socket operation and one or two timer waits (a cancelled one not yet
// completed) in flight, so three slots serve it, and Asio's per-thread
// cache (a single block) is left to the rest of the thread. Larger or
// further operations (the resolver's) fall back to the heap.
class OperationMemory {
 public:
  void* allocate(std::size_t size) {
    if (size <= kSlotBytes) {
      for (Slot& slot : slots_) {
        if (!slot.in_use) {
          slot.in_use = true;
          return slot.bytes;
        }
      }
    }
    return ::operator new(size);
  }

  void deallocate(void* pointer) {
    for (Slot& slot : slots_) {
      if (pointer == slot.bytes) {
        slot.in_use = false;
        return;
      }
    }
    ::operator delete(pointer);
  }

 private:
  static constexpr std::size_t kSlotBytes = 512;
  struct Slot {
    alignas(std::max_align_t) unsigned char bytes[kSlotBytes];
    bool in_use = false;
  };
  std::array<Slot, 3> slots_;
};

template <class T>
class OperationAllocator {
 public:
  using value_type = T;

  explicit OperationAllocator(OperationMemory& memory) noexcept : memory_(&memory) {}
  template <class U>
  OperationAllocator(const OperationAllocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* pointer, std::size_t) noexcept { memory_->deallocate(pointer); }

  template <class U>
  bool operator==(const OperationAllocator<U>& other) const noexcept {
    return memory_ == other.memory_;
  }

 private:
  template <class>
  friend class OperationAllocator;
  OperationMemory* memory_;
};

// A completion handler whose operation is allocated in `memory`.
template <class Handler>
class WithMemory {
 public:
  using allocator_type = OperationAllocator<Handler>;

  WithMemory(OperationMemory& memory, Handler handler)
      : memory_(&memory), handler_(std::move(handler)) {}

  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }

  template <class... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  OperationMemory* memory_;
  Handler handler_;
};

class UpstreamConnection;

// Idle keep-alive connections of one io_context (one I/O thread), per
// upstream. Only touched from that thread; its connections are closed when
// the io_context shuts down.
class ConnectionPool : public asio::execution_context::service {
 public:
  using key_type = ConnectionPool;
  static inline asio::execution_context::id id;

  explicit ConnectionPool(asio::execution_context& context)
      : asio::execution_context::service(context) {}

  // An idle connection to `upstream` that is still open, or null.
  std::shared_ptr<UpstreamConnection> take(const Upstream& upstream);
  // Keeps `connection` for the next request (closes it when the pool is full).
  void put(const Upstream& upstream, std::shared_ptr<UpstreamConnection> connection);

 private:
  using Idle = std::vector<std::shared_ptr<UpstreamConnection>>;

  void shutdown() override;
  Idle& idle_of(const Upstream& upstream);

  std::string key_;  // scratch: "host:port" of the upstream looked up
  std::unordered_map<std::string, Idle> idle_;
};

// One keep-alive connection to an upstream, and the exchange it serves
// (at most one at a time). Everything an exchange needs is kept here and
// reused by the next exchange on the same connection: the request head
// buffer, the read buffer, the response parser and its header strings, the
// timer. The connection is also the BodySource of a streamed response
// body, so relaying a body allocates nothing either.
//
// Lifetime: a shared_ptr held by the pending operation's handler, by the
// server while it streams the body, or by the pool while idle. Between
// start() and the answer there is always an operation in flight (connect,
// write or read), which is why on_client_gone can hold a plain pointer.
// Handlers of operations that were in flight when the socket closed carry
// an older op_generation_ and are ignored.
//
// Deadlines: one timer, waiting from the first arm() of an exchange to its
// end (never while the connection is idle: an idle connection has no
// operation in flight, so that the io_context can run out of work when
// the server stops). Within an exchange, arm() only moves deadline_: the
// timer wakes up at its expiry and either waits on (the deadline moved
// later), does nothing (disarmed) or closes the socket (the deadline
// passed: the operation in flight fails and timed_out_ says why). So an
// exchange costs one timer wait and one cancel, however many pieces its
// body has.
class UpstreamConnection final : public http::BodySource,
                                 public std::enable_shared_from_this<UpstreamConnection> {
 public:
  UpstreamConnection(const asio::any_io_executor& executor, ConnectionPool& pool)
      : pool_(pool), socket_(executor), timer_(executor), in_(kMaxReadBufferBytes) {
    in_.reserve(kReadBufferBytes);
  }

  // Sends `job`'s request on this connection (a new one is connected
  // first) and answers its responder. Call on the I/O thread.
  void start(ProxyJob job) {
    job_ = std::move(job);
    ended_ = false;
    streaming_ = false;
    counted_ = false;
    retried_ = false;
    timed_out_ = false;
    interim_responses_ = 0;
    carry_ = {};
    parser_.reset();  // nothing of this exchange's answer has been received yet
    // Called only before respond(); until then an operation in flight holds
    // this connection. A plain pointer keeps the std::function free of
    // allocation (a weak_ptr capture would need one).
    job_.responder->on_client_gone([this] { abandon(); });
    write_head();
    started_ = SteadyClock::now();
    if (socket_.is_open()) {
      reused_ = true;
      send();
    } else {
      connect();
    }
  }

  // True when this idle connection is still usable: the upstream has
  // neither closed it nor sent anything unasked.
  bool still_open() {
    if (!socket_.is_open()) return false;
    char byte = 0;
    const auto n =
        ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT | MSG_NOSIGNAL);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  // For good (the pool dropped it).
  void close() {
    close_socket();
    stop_timer();
  }

  // BodySource::read: the next piece of the response body.
  void read(std::function<void(Chunk)> next) override {
    if (!streaming_) {
      next({.failed = true});
      return;
    }
    next_ = std::move(next);
    if (!carry_.empty()) {
      deliver({.data = std::exchange(carry_, {})});
      return;
    }
    pump();
  }

  // BodySource::cancel: the server will not read on (the client went away).
  void cancel() override {
    if (streaming_) abandon();
  }

 private:
  // The request head, serialised once into head_ (reused): it goes out in
  // one write together with the body.
  void write_head() {
    head_.clear();
    head_.append(job_.method).append(" ").append(job_.target).append(" HTTP/1.1\r\n");
    for (const http::Header& h : job_.headers) {
      if (!is_writable(h)) continue;
      head_.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    // As Beast's prepare_payload: a length for any body, and an empty one
    // for the methods that expect a body.
    if (!job_.body.empty() || job_.method == "POST" || job_.method == "PUT" ||
        job_.method == "OPTIONS") {
      std::array<char, 24> digits{};
      const auto [end, ec] =
          std::to_chars(digits.data(), digits.data() + digits.size(), job_.body.size());
      head_.append("Content-Length: ").append(digits.data(), end).append("\r\n");
    }
    head_.append("\r\n");
  }

  void connect() {
    close_socket();  // a retry: the old one goes
    reused_ = false;
    const Upstream& upstream = job_.route->upstream;
    error_code ec;
    const auto address = asio::ip::make_address(upstream.host, ec);
    if (!ec) {
      arm(job_.route->connect_timeout);
      socket_.async_connect(
          tcp::endpoint(address, upstream.port),
          with_memory([self = shared_from_this(), generation = op_generation_](error_code e) {
            if (generation == self->op_generation_) self->on_connect(e);
          }));
      return;
    }
    // Host names: resolved for each new connection, with no timeout of their
    // own (docs/gateway.md); connect_timeout starts once they are.
    disarm();
    if (!resolver_) resolver_.emplace(socket_.get_executor());
    resolver_->async_resolve(
        upstream.host, std::to_string(upstream.port),
        [self = shared_from_this(), generation = op_generation_](
            error_code e, const tcp::resolver::results_type& results) {
          if (generation != self->op_generation_) return;
          if (e) {
            self->fail(UpstreamOutcome::kUnreachable, "upstream_unreachable",
                       "cannot resolve the upstream host");
            return;
          }
          self->arm(self->job_.route->connect_timeout);
          asio::async_connect(
              self->socket_, results,
              self->with_memory([self, generation](error_code c, const tcp::endpoint&) {
                if (generation == self->op_generation_) self->on_connect(c);
              }));
        });
  }

  void on_connect(error_code ec) {
    if (timed_out_) {
      fail(UpstreamOutcome::kTimeout, "upstream_connect_timeout",
           "the upstream did not accept a connection in time");
      return;
    }
    if (ec) {
      fail(UpstreamOutcome::kUnreachable, "upstream_unreachable",
           "the upstream is unreachable: " + ec.message());
      return;
    }
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    send();
  }

  // Head and body in one gather write: one sendmsg() for any request that
  // fits the socket buffer. timeout_ms runs from here to the response head.
  void send() {
    arm(job_.route->timeout);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(job_.body)};
    asio::async_write(socket_, buffers,
                      with_memory([self = shared_from_this(), generation = op_generation_](
                                      error_code ec, std::size_t) {
                        if (generation != self->op_generation_) return;
                        if (ec || self->timed_out_) {
                          self->on_upstream_error(ec);
                          return;
                        }
                        self->read_head();
                      }));
  }

  // The next response head, with a fresh parser (bytes already read stay in
  // in_). The deadline set in send() is not moved: interim responses do not
  // extend the time the upstream has to answer.
  void read_head() {
    parser_.emplace(fields_);
    parser_->header_limit(kMaxUpstreamHeaderBytes);
    parser_->body_limit((std::numeric_limits<std::uint64_t>::max)());
    if (job_.method == "HEAD") parser_->skip(true);
    parse_head();
  }

  void parse_head() {
    if (in_.size() > 0) {
      error_code ec;
      in_.consume(parser_->put(in_.data(), ec));  // not eager: stops after the head
      if (parser_->is_header_done()) {
        on_head();
        return;
      }
      if (ec && ec != bhttp::error::need_more) {
        on_upstream_error(ec);
        return;
      }
    }
    const std::size_t room = read_room();
    if (room == 0) {
      on_upstream_error(bhttp::error::header_limit);
      return;
    }
    socket_.async_read_some(in_.prepare(room),
                            with_memory([self = shared_from_this(), generation = op_generation_](
                                            error_code ec, std::size_t n) {
                              if (generation != self->op_generation_) return;
                              self->in_.commit(n);
                              if (ec == asio::error::eof) {
                                ec = self->parser_->got_some() ? bhttp::error::partial_message
                                                               : bhttp::error::end_of_stream;
                              }
                              if (ec || self->timed_out_) {
                                self->on_upstream_error(ec);
                                return;
                              }
                              self->parse_head();
                            }));
  }

  // How much the next read may take: the free part of the buffer (kept at
  // kReadBufferBytes once it has grown for a large head).
  std::size_t read_room() const {
    const std::size_t size = in_.size();
    const std::size_t room = std::max(in_.capacity() - size, kMinReadBytes);
    return std::min(room, in_.max_size() - size);
  }

  void on_upstream_error(error_code ec) {
    if (timed_out_) {
      fail(UpstreamOutcome::kTimeout, "upstream_timeout",
           "the upstream did not answer within " + std::to_string(job_.route->timeout.count()) +
               " ms");
      return;
    }
    const bool nothing_received =
        interim_responses_ == 0 && (!parser_ || !parser_->got_some()) && in_.size() == 0;
    if (reused_ && !retried_ && nothing_received && is_idempotent(job_.method)) {
      // A pooled connection the upstream had closed: once more, fresh.
      retried_ = true;
      parser_.reset();
      connect();
      return;
    }
    fail(UpstreamOutcome::kError, "upstream_error",
         "the upstream connection failed: " + ec.message());
  }

  void on_head() {
    // Interim responses (the parser reads a 1xx as a whole message without
    // a body): 100 Continue, 102, 103 Early Hints and the like are dropped
    // and the final response read from the same connection. A 101 would
    // turn the connection into another protocol, which the gateway does not
    // forward: 502, and the connection is closed, never pooled.
    const int status = parser_->status();
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
      read_head();
      return;
    }
    disarm();
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    if (job_.metrics != nullptr) {
      job_.metrics->seconds->observe(seconds);
      job_.metrics->ok->inc();
    }
    counted_ = true;

    // The whole body may have come with the head (it fits the buffer): then
    // the caller gets it as a plain body, which the server sends together
    // with the head in one write, and this connection is free at once.
    std::string body;
    if (!parser_->is_done() && in_.size() > 0) {
      const auto length = parser_->declared_length();
      if (length ? in_.size() >= *length : parser_->chunked()) {
        if (!collect_buffered_body(length ? &body : &collected_)) return;
        if (parser_->is_done() && !length) body.assign(collected_);
      }
    }

    http::Response response;
    response.status = status;
    fields_.resize(parser_->field_count());
    response.headers = downstream_response_headers(fields_);
    for (http::Header& h : job_.extra_response_headers) response.headers.push_back(std::move(h));
    response.principal_for_log = std::move(job_.principal_for_log);

    if (parser_->is_done()) {
      if (job_.method == "HEAD") {
        // The length of the body a GET would get, without a body; no
        // Content-Length at all when the upstream sent none (an empty
        // `body` would make the server answer "Content-Length: 0").
        response.body_source = no_body();
        if (auto length = parser_->declared_length()) response.content_length = *length;
      } else {
        response.body = std::move(body);
      }
      auto responder = std::move(job_.responder);
      body_complete();
      responder->respond(std::move(response));
      return;
    }
    // Streamed: the body is larger than the buffer or has not all arrived.
    if (auto length = parser_->declared_length()) response.content_length = *length;
    if (!body.empty()) {  // not reached: a buffered Content-Length body is complete
      collected_.swap(body);
      carry_ = collected_;
    }
    streaming_ = true;
    response.body_source = shared_from_this();  // the server reads the body through read()
    job_.responder->respond(std::move(response));
  }

  // Parses the body bytes already in in_ into `sink`. False when they are
  // not valid HTTP (the exchange is then over: 502).
  bool collect_buffered_body(std::string* sink) {
    collected_.clear();
    if (sink != &collected_) {
      if (auto length = parser_->declared_length()) sink->reserve(*length);
    }
    parser_->collect_into(sink);
    parser_->eager(true);
    error_code ec;
    in_.consume(parser_->put(in_.data(), ec));
    parser_->collect_into(nullptr);
    if (ec && ec != bhttp::error::need_more) {
      fail(UpstreamOutcome::kError, "upstream_error",
           "the upstream's response body is not valid HTTP: " + ec.message());
      return false;
    }
    if (!parser_->is_done() && sink == &collected_) carry_ = collected_;
    return true;
  }

  // Streaming: parses what is buffered up to the next piece of body and
  // hands it to the server, or reads more from the upstream first.
  void pump() {
    parser_->eager(true);
    for (;;) {
      if (parser_->is_done()) {
        body_complete();
        deliver({.done = true});
        return;
      }
      if (in_.size() == 0) break;
      error_code ec;
      const std::size_t used = parser_->put(in_.data(), ec);
      // The piece stays valid: consume() only moves the read position, and
      // the buffer is written again by the next read, after the server has
      // sent this piece.
      in_.consume(used);
      const std::string_view piece = parser_->take_piece();
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec && ec != bhttp::error::need_more) {
        body_failed();
        return;
      }
      if (!piece.empty()) {
        deliver({.data = piece});
        return;
      }
      if (ec == bhttp::error::need_more || used == 0) break;
    }
    read_body_bytes();
  }

  void read_body_bytes() {
    const std::size_t room = read_room();
    if (room == 0) {
      body_failed();
      return;
    }
    arm(job_.route->timeout);  // each further piece has timeout_ms to come
    socket_.async_read_some(in_.prepare(room),
                            with_memory([self = shared_from_this(), generation = op_generation_](
                                            error_code ec, std::size_t n) {
                              if (generation != self->op_generation_) return;
                              self->disarm();  // while the server sends, the pace is the caller's
                              self->in_.commit(n);
                              if (ec == asio::error::eof) {
                                // The end of a body delimited by the connection's end, or a
                                // truncated one.
                                self->parser_->put_eof(ec);
                              }
                              if (ec || self->timed_out_) {
                                self->body_failed();
                                return;
                              }
                              self->pump();
                            }));
  }

  // Hands `chunk` to the server's pending read().
  void deliver(Chunk chunk) {
    auto next = std::move(next_);
    next_ = nullptr;
    if (next) next(chunk);
  }

  // The whole response has been read: the connection may serve again.
  void body_complete() {
    if (ended_) return;
    const bool reusable = parser_->keep_alive() && in_.size() == 0 && socket_.is_open();
    end(UpstreamOutcome::kOk);
    std::string().swap(job_.body);  // an idle connection keeps no request body
    if (reusable) {
      pool_.put(job_.route->upstream, shared_from_this());
    } else {
      close_socket();
    }
  }

  // The upstream failed while the body streamed: the server closes the
  // connection to the caller.
  void body_failed() {
    close_socket();
    end(UpstreamOutcome::kError);
    deliver({.failed = true});
  }

  // The client went away (before the answer, or while the body streamed).
  void abandon() {
    if (ended_) return;
    end(UpstreamOutcome::kAbandoned);  // the slot first: it is free once the upstream sees EOF
    close_socket();
    next_ = nullptr;
  }

  void fail(UpstreamOutcome outcome, std::string reason, std::string description) {
    close_socket();
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
    for (http::Header& h : job_.extra_response_headers) response.headers.push_back(std::move(h));
    response.principal_for_log = std::move(job_.principal_for_log);
    auto responder = std::move(job_.responder);
    end(outcome);
    if (responder) responder->respond(std::move(response));
  }

  // The exchange is over: on_end runs (the gateway releases the
  // concurrency slot) and the responder, which holds the client's session,
  // is let go.
  void end(UpstreamOutcome outcome) {
    if (ended_) return;
    ended_ = true;
    streaming_ = false;
    carry_ = {};
    disarm();
    stop_timer();
    if (auto on_end = std::move(job_.on_end)) {
      job_.on_end = nullptr;
      on_end(outcome);
    }
    job_.responder.reset();
  }

  void close_socket() {
    ++op_generation_;
    if (resolver_) resolver_->cancel();
    if (socket_.is_open()) {
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
    }
    in_.clear();
  }

  void arm(std::chrono::milliseconds timeout) {
    deadline_ = SteadyClock::now() + timeout;
    if (timer_waiting_ && timer_.expiry() <= deadline_) return;  // it wakes up in time
    wait_for_deadline();
  }

  void disarm() { deadline_ = kNever; }

  // No wait in flight any more (its handler, run with operation_aborted, is
  // ignored as superseded).
  void stop_timer() {
    if (!timer_waiting_) return;
    timer_waiting_ = false;
    ++timer_generation_;
    timer_.cancel();
  }

  void wait_for_deadline() {
    timer_waiting_ = true;
    timer_.expires_at(deadline_);  // a wait in progress ends with operation_aborted
    timer_.async_wait(with_memory([self = shared_from_this(), generation = ++timer_generation_](
                                      error_code ec) { self->on_timer(ec, generation); }));
  }

  void on_timer(error_code ec, std::uint64_t generation) {
    if (generation != timer_generation_) return;  // superseded by a later wait
    timer_waiting_ = false;
    if (ec || deadline_ == kNever) return;
    if (SteadyClock::now() < deadline_) {
      wait_for_deadline();
      return;
    }
    // The operation in flight fails with operation_aborted; its handler
    // sees timed_out_.
    deadline_ = kNever;
    timed_out_ = true;
    if (resolver_) resolver_->cancel();
    error_code ignored;
    socket_.close(ignored);
  }

  template <class Handler>
  WithMemory<Handler> with_memory(Handler handler) {
    return WithMemory<Handler>(memory_, std::move(handler));
  }

  OperationMemory memory_;  // first: outlives the socket and the timer
  ConnectionPool& pool_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::optional<tcp::resolver> resolver_;  // upstreams named by a host name only
  beast::flat_buffer in_;                  // bytes from the upstream, not yet parsed
  std::string head_;                       // the request head being sent
  std::vector<http::Header> fields_;       // the response head's fields (see ResponseParser)
  std::optional<ResponseParser> parser_;   // the response being read
  std::string collected_;                  // a chunked body collected from in_
  std::string_view carry_;                 // collected bytes the server has yet to get
  std::function<void(Chunk)> next_;        // the server's pending read()
  std::uint64_t op_generation_ = 0;        // bumped when the socket closes
  std::uint64_t timer_generation_ = 0;
  SteadyClock::time_point deadline_ = kNever;
  bool timer_waiting_ = false;

  // The exchange in progress.
  ProxyJob job_;
  SteadyClock::time_point started_;
  int interim_responses_ = 0;  // 1xx skipped so far
  bool reused_ = false;        // sent on a pooled connection
  bool retried_ = false;
  bool counted_ = false;  // in latchkey_gateway_upstream_requests_total
  bool timed_out_ = false;
  bool streaming_ = false;  // the server reads the body through read()
  bool ended_ = true;
};

std::shared_ptr<UpstreamConnection> ConnectionPool::take(const Upstream& upstream) {
  Idle& idle = idle_of(upstream);
  while (!idle.empty()) {
    std::shared_ptr<UpstreamConnection> connection = std::move(idle.back());
    idle.pop_back();
    if (connection->still_open()) return connection;
    connection->close();
  }
  return nullptr;
}

void ConnectionPool::put(const Upstream& upstream, std::shared_ptr<UpstreamConnection> connection) {
  Idle& idle = idle_of(upstream);
  if (idle.size() >= kMaxIdlePerUpstream) {
    connection->close();
    return;
  }
  idle.push_back(std::move(connection));
}

void ConnectionPool::shutdown() {
  for (auto& [key, idle] : idle_) {
    for (const auto& connection : idle) connection->close();
  }
  idle_.clear();
}

ConnectionPool::Idle& ConnectionPool::idle_of(const Upstream& upstream) {
  std::array<char, 8> port{};
  const auto [end, ec] = std::to_chars(port.data(), port.data() + port.size(), upstream.port);
  key_.assign(upstream.host).append(":").append(port.data(), end);
  auto it = idle_.find(key_);
  if (it == idle_.end()) it = idle_.emplace(key_, Idle{}).first;
  return it->second;
}

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
  const asio::any_io_executor& executor = job.responder->executor().get();
  auto& pool = asio::use_service<ConnectionPool>(asio::query(executor, asio::execution::context));
  std::shared_ptr<UpstreamConnection> connection = pool.take(job.route->upstream);
  if (!connection) connection = std::make_shared<UpstreamConnection>(executor, pool);
  connection->start(std::move(job));
}

}  // namespace latchkey::gateway
