#include "invalidation/pg_notify_bus.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

namespace latchkey::invalidation {
namespace {

using Clock = std::chrono::steady_clock;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// One line of libpq's error text, never the connection string (it may hold
// a password).
std::string pq_error(PGconn* c) {
  std::string e = c ? PQerrorMessage(c) : "out of memory";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  std::replace(e.begin(), e.end(), '\n', ' ');
  return e.empty() ? "connection failed" : e;
}

enum class Role { kListener, kSender };

// The sender's session settings, set after connecting (so that the URL's
// own `options` stay). synchronous_commit: see connect(). The server-side
// keepalives: when this node's machine vanishes (power, network),
// PostgreSQL ends its sender's session within about 11 s, and the other
// nodes' heartbeats notice the publisher gone (listen_loop()).
constexpr const char* kSenderSettings =
    "SET synchronous_commit TO off; SET tcp_keepalives_idle TO 5;"
    " SET tcp_keepalives_interval TO 2; SET tcp_keepalives_count TO 3";

// The URL expanded, then our own settings: a recognisable application name
// and keepalives, so that a dead peer is noticed without traffic.
Conn connect(const std::string& url, const std::string& application_name, Role role) {
  // tcp_user_timeout: a send to a vanished server fails within 10 s instead
  // of blocking the thread (and shutdown's join) on TCP retransmissions.
  // A sender's pg_notify commits without waiting for its WAL flush
  // (synchronous_commit off): PostgreSQL gives a transaction that notifies
  // a transaction id and holds one cluster-wide lock from its NOTIFY to the
  // end of its commit, so durable commits of every node's notifications
  // would queue one flush after another, and every issuance waits for its
  // notification. Nothing of a notification outlives a server crash anyway
  // (every listener loses its connection and reloads).
  const char* keys[] = {"dbname",           "application_name", "connect_timeout",
                        "keepalives",       "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", nullptr};
  const char* values[] = {url.c_str(), application_name.c_str(), "5", "1", "5", "2", "3", "10000",
                          nullptr};
  Conn conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  // libpq prints server notices to stderr by default; ours go nowhere (a
  // lost connection is reported through the log callback).
  if (conn)
    PQsetNoticeProcessor(
        conn.get(), [](void*, const char*) {}, nullptr);
  if (role == Role::kSender && PQstatus(conn.get()) == CONNECTION_OK) {
    PgResult set(PQexec(conn.get(), kSenderSettings));
    if (PQresultStatus(set.get()) != PGRES_COMMAND_OK) {
      conn.reset();  // the caller sees "not connected" and retries
    }
  }
  return conn;
}

// Every node's sender connection is named kSenderPrefix + node id.
constexpr std::string_view kSenderPrefix = "latchkey-notify-";

// The listener's heartbeat: proves the connection alive and lists the
// nodes' publishers, so that one that vanished without notice (its node
// died, maybe between a commit and its notification) is noticed. Every
// session of the same role is listed with its application_name.
// Only this database's sessions (not another deployment's on the same
// server), each named by pid and start time (a pid may be reused).
constexpr const char* kHeartbeat =
    "SELECT pid::text || '@' || backend_start::text, application_name FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name LIKE 'latchkey-notify-%'";

// The publishers a heartbeat listed, but this node's own.
std::set<std::string> publishers_in(const PGresult* r, const std::string& own_sender) {
  std::set<std::string> sessions;
  for (int i = 0; i < PQntuples(r); ++i) {
    if (own_sender == PQgetvalue(r, i, 1)) continue;
    sessions.insert(PQgetvalue(r, i, 0));
  }
  return sessions;
}

}  // namespace

Status notify_once(const std::string& url, std::string_view origin,
                   const std::vector<Message>& messages) {
  auto payloads = encode(origin, messages);
  if (!payloads) return fail(payloads.error());
  Conn conn = connect(url, "latchkey-" + std::string(origin), Role::kSender);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return fail(Error::unavailable("cannot notify the other nodes: " + pq_error(conn.get())));
  }
  for (const std::string& payload : *payloads) {
    const char* params[] = {kChannel.data(), payload.c_str()};
    PgResult r(PQexecParams(conn.get(), "SELECT pg_notify($1, $2)", 2, nullptr, params, nullptr,
                            nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      return fail(Error::unavailable("cannot notify the other nodes: " + pq_error(conn.get())));
    }
  }
  return {};
}

PgNotifyBus::PgNotifyBus(PgNotifyOptions options, LocalState& state, CacheTrust& trust,
                         std::string node_id)
    : options_(std::move(options)), receiver_(state, trust, std::move(node_id), options_.log) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  listener_ = std::thread([this] { listen_loop(); });
  sender_ = std::thread([this] { send_loop(); });
}

PgNotifyBus::~PgNotifyBus() {
  std::size_t unsent = 0;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    unsent = queue_.size();
  }
  work_cv_.notify_all();
  sent_cv_.notify_all();
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  listener_.join();
  sender_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (unsent > 0 && options_.log) {
    options_.log(true, "invalidation: " + std::to_string(unsent) +
                           " messages not sent at shutdown (the other nodes' periodic "
                           "bounds apply, docs/operations.md)");
  }
}

std::string PgNotifyBus::describe() const {
  return degraded() ? "postgres LISTEN/NOTIFY (degraded: caches off, verifying against the store)"
                    : "postgres LISTEN/NOTIFY (subscribed)";
}

PublisherStats PgNotifyBus::publisher_stats() const {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return pstats_;
}

bool PgNotifyBus::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !work_cv_.wait_for(lock, d, [this] { return stop_; });
}

namespace {
// Equal messages give equal keys (the queue's coalescing).
std::string coalesce_key(const Message& m) {
  std::string key(1, static_cast<char>(m.kind));
  key += m.subject;
  key += '\n';
  key += m.session;
  key += '\n';
  key += std::to_string(to_unix_millis(m.until));
  return key;
}
}  // namespace

void PgNotifyBus::publish(const Message& message) {
  std::unique_lock lock(mu_);
  if (stop_) return;
  // The same message still waiting (not yet taken by the sender) covers this
  // one: while the sender cannot deliver, the queue grows by distinct
  // messages only. Never one already taken: it may be on the wire before
  // this change committed.
  std::string key = coalesce_key(message);
  std::uint64_t seq = 0;
  if (auto it = untaken_.find(key); it != untaken_.end()) {
    seq = it->second;
  } else {
    seq = next_seq_++;
    queue_.emplace_back(seq, message);
    untaken_.emplace(std::move(key), seq);
  }
  work_cv_.notify_all();  // the sender (a thread in pause() shares the variable)
  const bool sent =
      sent_cv_.wait_for(lock, options_.publish_wait, [&] { return sent_seq_ >= seq || stop_; });
  if (!sent || sent_seq_ < seq) ++pstats_.late;
}

void PgNotifyBus::send_loop() {
  const std::string app = std::string(kSenderPrefix) + receiver_.node_id();
  // Connected at once, not at the first message: the other nodes watch this
  // connection (listen_loop()), so that a node that dies after it committed
  // something, even before it published anything, is noticed. If it fails,
  // the first message connects again.
  Conn conn = connect(options_.url, app, Role::kSender);
  auto backoff = options_.reconnect_min;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
    }
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      conn = connect(options_.url, app, Role::kSender);
      if (PQstatus(conn.get()) != CONNECTION_OK) {
        if (options_.log) {
          options_.log(true, "invalidation: cannot connect to publish: " + pq_error(conn.get()));
        }
        conn.reset();
        {
          std::lock_guard lock(mu_);
          ++pstats_.send_failures;
        }
        if (!pause(backoff)) return;
        backoff = std::min(backoff * 2, options_.reconnect_max);
        continue;
      }
    }
    // Taken only once connected (coalescing goes on while it cannot send).
    std::vector<std::pair<std::uint64_t, Message>> batch;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      batch.assign(queue_.begin(), queue_.end());
      untaken_.clear();
    }
    std::vector<Message> messages;
    messages.reserve(batch.size());
    for (auto& [seq, m] : batch) messages.push_back(m);
    auto payloads = encode(receiver_.node_id(), messages);
    bool ok = true;
    std::size_t notifies = 0;
    if (!payloads) {
      // Not encodable (a field over 256 bytes): dropped, said once.
      if (options_.log) {
        options_.log(true, "invalidation: message not sent: " + payloads.error().description);
      }
    } else {
      for (const std::string& payload : *payloads) {
        {
          std::lock_guard lock(mu_);
          if (stop_) return;  // shutdown does not wait for the rest of a burst
        }
        const char* params[] = {kChannel.data(), payload.c_str()};
        PgResult r(PQexecParams(conn.get(), "SELECT pg_notify($1, $2)", 2, nullptr, params, nullptr,
                                nullptr, 0));
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
          ok = false;
          if (options_.log) {
            options_.log(true, "invalidation: pg_notify failed: " + pq_error(conn.get()));
          }
          break;
        }
        ++notifies;
      }
    }
    std::lock_guard lock(mu_);
    if (!ok) {
      // Resent whole after a reconnect: receivers apply idempotently.
      ++pstats_.send_failures;
      conn.reset();
      continue;
    }
    backoff = options_.reconnect_min;
    const std::uint64_t last = batch.back().first;
    while (!queue_.empty() && queue_.front().first <= last) queue_.pop_front();
    sent_seq_ = last;
    pstats_.sent += batch.size();
    pstats_.notifies += notifies;
    sent_cv_.notify_all();
  }
}

void PgNotifyBus::listen_loop() {
  const std::string app = "latchkey-listen-" + receiver_.node_id();
  const std::string own_sender = std::string(kSenderPrefix) + receiver_.node_id();
  const std::string listen_sql = "LISTEN " + std::string(kChannel);
  auto backoff = options_.reconnect_min;
  std::string why = "starting";
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    receiver_.on_lost(why);
    Conn conn = connect(options_.url, app, Role::kListener);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      why = "cannot connect: " + pq_error(conn.get());
      if (!pause(backoff)) return;
      backoff = std::min(backoff * 2, options_.reconnect_max);
      continue;
    }
    PgResult listened(PQexec(conn.get(), listen_sql.c_str()));
    if (PQresultStatus(listened.get()) != PGRES_COMMAND_OK) {
      why = "LISTEN failed: " + pq_error(conn.get());
      if (!pause(backoff)) return;
      backoff = std::min(backoff * 2, options_.reconnect_max);
      continue;
    }
    // Subscribed: from here every committed change is notified; what came
    // before is in the store, which on_subscribed() reads now.
    if (auto s = receiver_.on_subscribed(); !s) {
      why = "reload failed: " + s.error().description;
      if (!pause(backoff)) return;
      backoff = std::min(backoff * 2, options_.reconnect_max);
      continue;
    }
    listener_pid_.store(PQbackendPID(conn.get()));
    backoff = options_.reconnect_min;
    PQsetnonblocking(conn.get(), 1);
    why.clear();
    bool heartbeat_pending = false;
    auto heartbeat_sent = Clock::now();
    // Other nodes' publishers seen by the last heartbeat (backend pids).
    // Starts unknown after each subscription: the reload just covered
    // whatever a node that died before it left unsent.
    std::optional<std::set<std::string>> publishers;
    auto last_resync = Clock::now();
    const bool periodic = options_.resync_every.count() > 0;
    while (why.empty()) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      const auto now = Clock::now();
      auto wait = heartbeat_pending ? options_.heartbeat_timeout - (now - heartbeat_sent)
                                    : options_.heartbeat - (now - heartbeat_sent);
      if (periodic) wait = std::min(wait, options_.resync_every - (now - last_resync));
      if (receiver_.resync_pending()) {
        wait = std::min(wait, options_.min_resync_interval - (now - last_resync));
      }
      const int timeout_ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
      pollfd fds[2] = {{PQsocket(conn.get()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int n = ::poll(fds, 2, timeout_ms);
      if (n < 0 && errno != EINTR) {
        why = "poll failed";
        break;
      }
      if (fds[1].revents != 0) return;  // stopping
      if (n > 0 && fds[0].revents != 0) {
        if (PQconsumeInput(conn.get()) == 0) {
          why = "connection lost: " + pq_error(conn.get());
          break;
        }
        // The heartbeat's result (and its end marker), when it is in.
        while (heartbeat_pending && PQisBusy(conn.get()) == 0) {
          PgResult r(PQgetResult(conn.get()));
          if (!r) {
            heartbeat_pending = false;
            break;
          }
          if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
            why = "heartbeat failed: " + pq_error(conn.get());
            break;
          }
          std::set<std::string> now_seen = publishers_in(r.get(), own_sender);
          if (publishers) {
            for (const std::string& session : *publishers) {
              if (!now_seen.contains(session)) {
                receiver_.on_publisher_gone(session.substr(0, session.find('@')));
                break;  // one reload covers them all
              }
            }
          }
          publishers_seen_.store(static_cast<int>(now_seen.size()));
          publishers = std::move(now_seen);
        }
        while (PGnotify* notify = PQnotifies(conn.get())) {
          receiver_.on_payload(notify->extra);
          PQfreemem(notify);
        }
      }
      if (!why.empty()) break;
      if (PQstatus(conn.get()) != CONNECTION_OK) {
        why = "connection lost";
        break;
      }
      const auto after = Clock::now();
      if (receiver_.resync_pending() && after - last_resync >= options_.min_resync_interval) {
        if (auto s = receiver_.on_subscribed(); !s) {
          why = "requested reload failed: " + s.error().description;
          break;
        }
        last_resync = Clock::now();
      }
      if (periodic && after - last_resync >= options_.resync_every) {
        // The subscription stays; a failed reload already made the node
        // degraded, and reconnecting retries it.
        if (auto s = receiver_.on_subscribed(); !s) {
          why = "periodic reload failed: " + s.error().description;
          break;
        }
        last_resync = Clock::now();
      }
      if (heartbeat_pending && after - heartbeat_sent >= options_.heartbeat_timeout) {
        why = "heartbeat timed out";
        break;
      }
      if (!heartbeat_pending && after - heartbeat_sent >= options_.heartbeat) {
        if (PQsendQuery(conn.get(), kHeartbeat) == 0) {
          why = "heartbeat failed: " + pq_error(conn.get());
          break;
        }
        int flushed = 0;
        while ((flushed = PQflush(conn.get())) == 1) {
          pollfd out[2] = {{PQsocket(conn.get()), POLLOUT, 0}, {wake_fd_, POLLIN, 0}};
          ::poll(out, 2, 100);
          if (out[1].revents != 0) return;  // stopping
          if (Clock::now() - after > options_.heartbeat_timeout) break;
        }
        if (flushed != 0) {
          why = "heartbeat could not be sent";
          break;
        }
        heartbeat_pending = true;
        heartbeat_sent = after;
      }
    }
    listener_pid_.store(0);
  }
}

}  // namespace latchkey::invalidation
