// PgNotifyBus: the invalidation bus over PostgreSQL LISTEN/NOTIFY, for nodes
// sharing a PostgreSQL store (docs/operations.md, "Cross-node
// invalidation"). Everything PostgreSQL-specific about invalidation is here.
//
//   listener  a dedicated connection (application_name
//             latchkey-listen-<node>) and thread: LISTEN, then poll() on the
//             socket; each notification's payload goes to the Receiver.
//             Every `heartbeat` it lists the nodes' sender connections
//             (pg_stat_activity), so a connection that died silently is
//             noticed within heartbeat + heartbeat_timeout (TCP keepalives
//             too), and so is another node whose sender vanished: that node
//             may have died between a commit and its NOTIFY, so this one
//             reloads (Receiver::on_publisher_gone), within about one
//             heartbeat of the death instead of at the periodic reload. A lost connection makes
//             the node degraded at once (Receiver::on_lost); it reconnects
//             with exponential back-off (reconnect_min .. reconnect_max),
//             LISTENs, reloads from the store and only then trusts its
//             caches again (Receiver::on_subscribed).
//             Every `resync_every` (while subscribed) it also reloads from the
//             store and drops the caches: a bound on what a message that was
//             never sent (its node crashed between commit and NOTIFY) can
//             leave stale.
//   sender    a second connection and thread: publish() queues the message
//             and waits (at most publish_wait) until the thread has sent it
//             with SELECT pg_notify(channel, payload). Waiting publishers
//             are sent together (several messages per payload, like a group
//             commit), so a burst of issuances costs a few round trips, not
//             one each. A message that cannot be sent stays queued and is
//             retried after a reconnect; publish() then returns after
//             publish_wait and the failure is counted. While nothing can be
//             sent, a message equal to one still queued is not queued
//             again (it waits for the queued one): the queue holds at most
//             one copy of each distinct message.
//
// Thread-safety: publish(), degraded(), describe() and the accessors may be
// called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/cache_trust.h"
#include "invalidation/bus.h"
#include "invalidation/local_state.h"
#include "invalidation/receiver.h"

namespace latchkey::invalidation {

inline constexpr std::string_view kChannel = "latchkey_invalidation";

// One connection, the messages sent, closed: for tools that change a
// shared store while nodes run (latchkeyd recover-admin). kUnavailable when
// PostgreSQL cannot be reached (the error never contains the URL).
Status notify_once(const std::string& url, std::string_view origin,
                   const std::vector<Message>& messages);

struct PgNotifyOptions {
  std::string url;  // postgres://USER@HOST:PORT/DB (a libpq connection string)
  std::chrono::milliseconds heartbeat{2000};
  std::chrono::milliseconds heartbeat_timeout{3000};
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{5000};
  std::chrono::milliseconds publish_wait{2000};
  std::chrono::milliseconds resync_every{std::chrono::minutes(5)};  // 0: never
  // Reloads another node asked for ('g', 'r', an unreadable payload) are
  // coalesced: at most one per interval; the node is degraded until it ran.
  std::chrono::milliseconds min_resync_interval{1000};
  std::function<void(bool warning, std::string_view line)> log;
};

struct PublisherStats {
  std::uint64_t sent = 0;           // messages sent
  std::uint64_t notifies = 0;       // pg_notify calls (payloads)
  std::uint64_t send_failures = 0;  // failed attempts (retried)
  std::uint64_t late = 0;           // publish() calls that returned before their send
};

class PgNotifyBus final : public Bus {
 public:
  // Starts both threads; never fails (until the listener has subscribed, the
  // node is degraded). `trust` is withdrawn at once.
  PgNotifyBus(PgNotifyOptions options, LocalState& state, CacheTrust& trust, std::string node_id);
  ~PgNotifyBus() override;  // stops both threads; unsent messages are dropped (logged)

  void publish(const Message& message) override;
  bool degraded() const override { return receiver_.degraded(); }
  std::string describe() const override;

  const std::string& node_id() const { return receiver_.node_id(); }
  ReceiverStats receiver_stats() const { return receiver_.stats(); }
  PublisherStats publisher_stats() const;
  // The listener connection's backend pid, 0 while not subscribed (tests,
  // pg_stat_activity).
  int listener_pid() const { return listener_pid_.load(); }
  // Other nodes' publishers the last heartbeat listed (tests).
  int publishers_seen() const { return publishers_seen_.load(); }

 private:
  void listen_loop();
  void send_loop();
  // Waits up to `d` or until stopped; false when stopped.
  bool pause(std::chrono::milliseconds d);

  const PgNotifyOptions options_;
  Receiver receiver_;
  std::atomic<int> listener_pid_{0};
  std::atomic<int> publishers_seen_{0};

  std::mutex mu_;
  // Two, so that a publish wakes the sender, not every waiting publisher.
  std::condition_variable work_cv_;                      // queue or stop: the sender, pause()
  std::condition_variable sent_cv_;                      // sent or stop: publishers
  bool stop_ = false;                                    // GUARDED_BY(mu_)
  std::deque<std::pair<std::uint64_t, Message>> queue_;  // GUARDED_BY(mu_)
  // Queued messages the sender has not taken yet, by coalesce key -> seq.
  std::unordered_map<std::string, std::uint64_t> untaken_;  // GUARDED_BY(mu_)
  std::uint64_t next_seq_ = 1;                              // GUARDED_BY(mu_)
  std::uint64_t sent_seq_ = 0;                              // GUARDED_BY(mu_)
  PublisherStats pstats_;                                   // GUARDED_BY(mu_)
  int wake_fd_ = -1;  // eventfd: wakes the listener's poll() to stop

  std::thread listener_;
  std::thread sender_;
};

}  // namespace latchkey::invalidation
