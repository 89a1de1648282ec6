// The listener half of the HTTP server: binds, accepts connections, runs the
// I/O threads and drains on stop().
//
// Threads: one single-threaded io_context per I/O thread; each accepted
// connection is placed on the next context in turn and stays there, so a
// session's handlers are serialised without a strand and no lock is taken
// between the threads on the request path.
//
// Admission: each accepted connection is counted against the global and the
// per-client cap (http/connection_limits.h) on strand_; one over a cap is
// handed to refuse_connection() (a canned 503, then closed) instead of a
// session, and at most max_refusals_in_flight refusals run at once (beyond
// that a refused socket is just closed). The count is released when the
// session closes its socket.
//
// Drain: stop() posts begin_drain() to the server strand, which closes the
// acceptor (new connections are refused), tells every live session to drain
// (idle ones close at once, busy ones after their response, which says
// Connection: close) and arms drain_timer_ while any session remains. The
// timer is cancelled when the last session ends; if it fires first, the
// sessions left are closed by force. Either way the io_context runs out of
// work and run() returns.
#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "http/access_log.h"
#include "http/internal/refusal.h"
#include "http/internal/session.h"

namespace latchkey::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// After a failed accept (typically out of file descriptors) wait a little
// rather than spin on the error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

// Refusals answered at once over HTTPS (each a TLS handshake); beyond them a
// refused connection is closed unanswered.
constexpr std::size_t kMaxTlsRefusalsInFlight = 64;
// Failed accepts and refusals can come thousands a second: one log line per
// kind and interval, saying how many were not logged.
constexpr std::chrono::seconds kWarningInterval{10};

// On strand_: whether to log now, and how many were suppressed since.
struct ThrottledWarning {
  std::chrono::steady_clock::time_point next{};
  std::uint64_t suppressed = 0;

  std::optional<std::uint64_t> due() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next) {
      ++suppressed;
      return std::nullopt;
    }
    next = now + kWarningInterval;
    return std::exchange(suppressed, 0);
  }
};

std::string client_key_of(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return client_key(bytes);
  }
  const auto bytes = address.to_v6().to_bytes();
  return client_key(bytes);
}

int io_thread_count(int configured) {
  if (configured > 0) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

class ServerImpl final : public Server, private internal::SessionTracker {
 public:
  ServerImpl(const ServerOptions& options, const RouterSource& router, Random& random)
      : options_(options),
        router_(router),
        random_(random),
        clock_(options.clock != nullptr ? *options.clock : system_clock_),
        connections_(resolve_connection_limits(
            options.max_connections, options.max_connections_per_client, current_nofile_limit())),
        contexts_(make_contexts(io_thread_count(options.io_threads))),
        ioc_(*contexts_.front()),
        strand_(asio::make_strand(ioc_)),
        acceptor_(strand_),
        accept_retry_timer_(strand_),
        drain_timer_(strand_),
        blocking_pool_(static_cast<std::size_t>(std::max(1, options.blocking_threads))) {
    // Contexts without connections must keep running until the drain.
    for (auto& context : contexts_) {
      work_.push_back(asio::make_work_guard(*context));
      // Asio creates a context's reactor (epoll, eventfd, timerfd) on its
      // first socket. Made now, while descriptors are free: made later, out
      // of descriptors, it would throw from inside the accept loop.
      tcp::socket warm_up(*context);
    }
  }

  ~ServerImpl() override {
    // Handlers still running on the pool hold sessions; let them finish
    // before the io_context (and the sessions in its queues) goes away.
    blocking_pool_.join();
    std::lock_guard lock(sessions_mu_);
    destroying_ = true;
  }

  Status listen() {
    if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
      return fail(Error::invalid_request("TLS needs both tls_cert_file and tls_key_file"));
    }
    if (!options_.tls_cert_file.empty()) {
      if (auto loaded = load_tls(); !loaded) return loaded;
    }

    auto endpoint = resolve();
    if (!endpoint) return fail(endpoint.error());
    error_code ec;
    const auto where = [&] { return options_.host + ":" + std::to_string(options_.port); };
    if (acceptor_.open(endpoint->protocol(), ec); ec) {
      return fail(Error::unavailable("cannot open a socket for " + where() + ": " + ec.message()));
    }
    if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) {
      return fail(Error::unavailable("cannot set SO_REUSEADDR: " + ec.message()));
    }
    if (acceptor_.bind(*endpoint, ec); ec) {
      return fail(Error::unavailable("cannot bind " + where() + ": " + ec.message()));
    }
    port_ = acceptor_.local_endpoint(ec).port();
    if (ec) return fail(Error::unavailable("cannot read the bound port: " + ec.message()));
    if (options_.before_listen) {
      if (auto s = options_.before_listen(url()); !s) return s;
    }
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
      return fail(Error::unavailable("cannot listen on " + where() + ": " + ec.message()));
    }

    state_.emplace(internal::ServerState{options_, router_, random_, clock_, blocking_pool_,
                                         blocking_in_flight_, tls_ ? &*tls_ : nullptr, *this});
    asio::post(strand_, [this] { do_accept(); });
    return {};
  }

  void own_router_source(std::unique_ptr<RouterSource> source) {
    owned_router_ = std::move(source);
  }

  std::uint16_t port() const override { return port_; }

  ConnectionLimits connection_limits() const override { return connections_.limits(); }

  ConnectionStats connection_stats() const override {
    ConnectionStats stats = connections_.stats();
    stats.accept_errors = accept_errors_.load(std::memory_order_relaxed);
    stats.refused_unanswered = refused_unanswered_.load(std::memory_order_relaxed);
    stats.refusals_in_flight =
        static_cast<std::size_t>(std::max(0, refusals_in_flight_.load(std::memory_order_relaxed)));
    return stats;
  }

  std::string url() const override {
    const bool ipv6_literal = options_.host.find(':') != std::string::npos;
    return std::string(tls_ ? "https://" : "http://") +
           (ipv6_literal ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(port_);
  }

  void run() override {
    std::vector<std::thread> extra;
    extra.reserve(contexts_.size() - 1);
    for (std::size_t i = 1; i < contexts_.size(); ++i) {
      extra.emplace_back([this, i] { run_io(*contexts_[i]); });
    }
    run_io(*contexts_.front());
    for (auto& t : extra) t.join();
    // Every request has been answered: its line is written before run() returns.
    if (options_.access_log_sink) options_.access_log_sink->flush();
  }

  void stop() override {
    if (stop_requested_.exchange(true)) return;
    asio::post(strand_, [this] { begin_drain(); });
  }

 private:
  Status load_tls() {
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    error_code ec;
    if (tls_->use_certificate_chain_file(options_.tls_cert_file, ec); ec) {
      return fail(Error::invalid_request("cannot load the TLS certificate chain from " +
                                         options_.tls_cert_file + ": " + ec.message()));
    }
    // Also checks that the key matches the certificate.
    if (tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec); ec) {
      return fail(Error::invalid_request("cannot load the TLS private key from " +
                                         options_.tls_key_file + ": " + ec.message()));
    }
    return {};
  }

  Result<tcp::endpoint> resolve() {
    error_code ec;
    const auto address = asio::ip::make_address(options_.host, ec);
    if (!ec) return tcp::endpoint(address, options_.port);
    // A host name ("localhost"): start-up may block on the resolver.
    tcp::resolver resolver(ioc_);
    const auto results =
        resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return fail(Error::unavailable("cannot resolve " + options_.host + ": " +
                                     (ec ? ec.message() : "no addresses")));
    }
    return results.begin()->endpoint();
  }

  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (int i = 0; i < n; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
    return contexts;
  }

  void run_io(asio::io_context& context) {
    // Handlers do not throw; should one anyway, log it and keep serving.
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("unexpected exception on an HTTP I/O thread: {}", e.what());
      }
    }
  }

  // On strand_, as are on_accept() and begin_drain(), so that no connection
  // is accepted after the drain began.
  void do_accept() {
    if (draining_on_strand_) return;
    asio::io_context& next = *contexts_[next_context_++ % contexts_.size()];
    try {
      acceptor_.async_accept(next.get_executor(), [this](error_code ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
      });
    } catch (const boost::system::system_error& e) {
      // Asio ran out of something (descriptors, memory) before accept():
      // the same pause as for a failed accept, never the end of accepting.
      on_accept(e.code(), tcp::socket(ioc_));  // ioc_ has its reactor: the acceptor
    }
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (draining_on_strand_) return;  // the socket closes as it goes out of scope
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Typically EMFILE: the connection stays in the backlog; try again
      // after a pause rather than spin.
      accept_errors_.fetch_add(1, std::memory_order_relaxed);
      if (const auto suppressed = accept_warning_.due()) {
        spdlog::warn("accept failed: {} (retrying every {} ms; {} more failure(s) not logged)",
                     ec.message(), kAcceptRetryDelay.count(), *suppressed);
      }
      accept_retry_timer_.expires_after(kAcceptRetryDelay);
      accept_retry_timer_.async_wait([this](error_code wait_ec) {
        if (!wait_ec) do_accept();
      });
      return;
    }
    admit(std::move(socket));
    do_accept();
  }

  // On strand_: a session when both caps allow it, else a refusal.
  void admit(tcp::socket socket) {
    error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // the client is already gone
    const auto address = endpoint.address();
    // A trusted proxy carries many clients: only the global cap counts it.
    const bool trusted =
        !options_.trusted_proxies.empty() && options_.trusted_proxies.contains(address.to_string());
    Admission admission = connections_.admit(trusted ? std::string() : client_key_of(address));
    if (admission.admitted()) {
      return internal::start_session(std::move(socket), address.to_string(),
                                     std::move(admission.slot), *state_);
    }
    if (const auto suppressed = refusal_warning_.due()) {
      const ConnectionLimits& limits = connections_.limits();
      if (admission.refusal == ConnectionRefusal::kServerFull) {
        spdlog::warn(
            "refusing connections: {} open, the limit (max_connections); {} other refusal(s) "
            "not logged",
            limits.max_connections, *suppressed);
      } else {
        spdlog::warn(
            "refusing connections: {} has {} open, the per-client limit "
            "(max_connections_per_client); {} other refusal(s) not logged",
            address.to_string(), limits.max_per_client, *suppressed);
      }
    }
    // A refusal over HTTPS costs a whole TLS handshake: only a few run at
    // once, so that clients breaking a cap cannot spend the CPU the admitted
    // clients need.
    const std::size_t refusals_allowed =
        state_->tls != nullptr
            ? std::min(connections_.limits().max_refusals_in_flight, kMaxTlsRefusalsInFlight)
            : connections_.limits().max_refusals_in_flight;
    if (static_cast<std::size_t>(refusals_in_flight_.fetch_add(1, std::memory_order_relaxed)) >=
        refusals_allowed) {
      refusals_in_flight_.fetch_sub(1, std::memory_order_relaxed);
      refused_unanswered_.fetch_add(1, std::memory_order_relaxed);
      return;  // closed unanswered as the socket goes out of scope
    }
    internal::refuse_connection(std::move(socket), admission.refusal, *state_, refusals_in_flight_);
  }

  void begin_drain() {
    draining_on_strand_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
    const auto live = live_sessions(/*start_draining=*/true);
    if (live.empty()) return release_contexts();
    spdlog::info("draining {} HTTP connection(s)", live.size());
    drain_timer_.expires_after(options_.drain_timeout);
    drain_timer_.async_wait([this](error_code ec) {
      if (ec) return;  // every session ended in time
      const auto left = live_sessions(/*start_draining=*/false);
      spdlog::warn("drain timeout: closing {} HTTP connection(s)", left.size());
      for (const auto& session : left) session->force_close();
      release_contexts();
    });
    for (const auto& session : live) session->drain();
  }

  // On strand_, once the drain is over: every context may now run out of
  // work. Until then the guards keep a context alive even while its only
  // session waits for a handler on the blocking pool.
  void release_contexts() {
    for (auto& guard : work_) guard.reset();
  }

  std::vector<std::shared_ptr<internal::Session>> live_sessions(bool start_draining) {
    std::vector<std::shared_ptr<internal::Session>> live;
    std::lock_guard lock(sessions_mu_);
    if (start_draining) draining_ = true;
    live.reserve(sessions_.size());
    for (const auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
  }

  void on_session_start(const std::shared_ptr<internal::Session>& session) override {
    std::lock_guard lock(sessions_mu_);
    sessions_.emplace(session.get(), session);
  }

  void on_session_end(internal::Session* session) override {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(session);
    if (draining_ && sessions_.empty() && !destroying_) {
      asio::post(strand_, [this] {
        drain_timer_.cancel();
        release_contexts();
      });
    }
  }

  const ServerOptions options_;
  std::unique_ptr<RouterSource> owned_router_;  // set when started with a fixed Router
  const RouterSource& router_;
  Random& random_;
  SystemClock system_clock_;
  const Clock& clock_;
  std::optional<asio::ssl::context> tls_;

  // Declared before ioc_: sessions destroyed with the io_context's queues
  // still report their end here.
  std::mutex sessions_mu_;
  std::unordered_map<internal::Session*, std::weak_ptr<internal::Session>>
      sessions_;             // guarded by sessions_mu_
  bool draining_ = false;    // guarded by sessions_mu_
  bool destroying_ = false;  // guarded by sessions_mu_
  // Also before ioc_: sessions and refusals destroyed with the contexts
  // release their slot and their in-flight count here.
  ConnectionTable connections_;
  std::atomic<int> refusals_in_flight_{0};
  std::atomic<std::uint64_t> accept_errors_{0};
  std::atomic<std::uint64_t> refused_unanswered_{0};
  std::optional<internal::ServerState> state_;

  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  asio::io_context& ioc_;  // contexts_[0]: the acceptor and the drain live here
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::size_t next_context_ = 0;  // on strand_
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;                 // on strand_
  asio::steady_timer accept_retry_timer_;  // on strand_
  asio::steady_timer drain_timer_;         // on strand_
  bool draining_on_strand_ = false;        // on strand_
  ThrottledWarning accept_warning_;        // on strand_
  ThrottledWarning refusal_warning_;       // on strand_
  asio::thread_pool blocking_pool_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int> blocking_in_flight_{0};
  std::uint16_t port_ = 0;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options,
                                              const RouterSource& router, Random& random) {
  auto server = std::make_unique<ServerImpl>(options, router, random);
  if (auto listening = server->listen(); !listening) return fail(listening.error());
  return std::unique_ptr<Server>(std::move(server));
}

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options, const Router& router,
                                              Random& random) {
  // A fixed router: a source that is never published again, owned by the server.
  auto source = std::make_unique<RouterSource>(std::shared_ptr<const Router>(
      std::shared_ptr<const Router>(), &router));  // not owned: the caller's
  auto server = std::make_unique<ServerImpl>(options, *source, random);
  server->own_router_source(std::move(source));
  if (auto listening = server->listen(); !listening) return fail(listening.error());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace latchkey::http
