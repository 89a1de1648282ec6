// The LISTEN/NOTIFY bus (invalidation/pg_notify_bus.h) on a real
// PostgreSQL 15 started by the test: two buses are two nodes. A message
// published on A is applied on B (delay measured and printed); a node skips
// its own; a lost listener connection makes B degraded at once, and B trusts
// its caches again only after it has re-subscribed and reloaded, so a
// change made while it was away is covered.
#include "invalidation/pg_notify_bus.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <thread>

#include "support/postgres_server.h"
#include "unit/invalidation/fake_local_state.h"

namespace latchkey::invalidation {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// The binary's one PostgreSQL (tests/support/postgres_server.h).
testing::PostgresServer& pg() { return testing::shared_postgres_server(); }

// Polls `done` until it holds or `limit` passes (real cross-process
// propagation: no fake clock can stand in for it).
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

// An admin connection for SQL the test runs itself.
class Sql {
 public:
  Sql() : conn_(PQconnectdb(pg().url().c_str())) {}
  ~Sql() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  std::string run(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
      out = "error: " + std::string(PQerrorMessage(conn_));
    }
    PQclear(r);
    return out;
  }

 private:
  PGconn* conn_;
};

PgNotifyOptions fast_options(std::string url) {
  PgNotifyOptions o;
  o.url = std::move(url);
  o.reconnect_min = 10ms;
  o.reconnect_max = 100ms;
  o.publish_wait = 500ms;
  o.min_resync_interval = 10ms;
  return o;
}

// Records when each key reload arrived; a "store" version read at reload.
class TimingState : public FakeLocalState {
 public:
  explicit TimingState(const std::atomic<int>* store_version = nullptr)
      : store_version_(store_version) {}
  void forget_key(std::string_view id) override {
    {
      std::lock_guard lock(mu_);
      arrived_[std::string(id)] = Steady::now();
    }
    cv_.notify_all();
    FakeLocalState::forget_key(id);
  }
  Status reload_from_store() override {
    if (store_version_ != nullptr) loaded_version = store_version_->load();
    return FakeLocalState::reload_from_store();
  }
  bool wait_for(const std::string& id, Steady::time_point* at, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, limit, [&] { return arrived_.contains(id); })) return false;
    *at = arrived_[id];
    return true;
  }
  bool has(const std::string& id) {
    std::lock_guard lock(mu_);
    return arrived_.contains(id);
  }
  std::atomic<int> loaded_version{-1};

 private:
  const std::atomic<int>* store_version_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Steady::time_point> arrived_;
};

struct Node {
  explicit Node(const std::string& id, std::string url = pg().url(),
                const std::atomic<int>* store_version = nullptr,
                std::chrono::milliseconds resync_every = std::chrono::minutes(5))
      : state(store_version),
        bus(with_resync(fast_options(std::move(url)), resync_every), state, trust, id) {}
  static PgNotifyOptions with_resync(PgNotifyOptions o, std::chrono::milliseconds every) {
    o.resync_every = every;
    return o;
  }
  TimingState state;
  CacheTrust trust;
  PgNotifyBus bus;
};

TEST(PgNotifyBus, AMessagePublishedOnAIsAppliedOnBAndNotOnA) {
  ASSERT_TRUE(pg().ok());
  Node a("node-a1"), b("node-b1");
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.bus.degraded(); }));
  EXPECT_TRUE(b.trust.trusted());
  a.bus.publish(Message::api_key("key_x"));
  Steady::time_point at;
  ASSERT_TRUE(b.state.wait_for("key_x", &at, 10s));
  EXPECT_FALSE(a.state.has("key_x"));  // A applied it before publishing
  // Every other kind travels too, in order.
  a.bus.publish(Message::revoked_jwt("jti_1", from_unix_millis(5)));
  a.bus.publish(Message::policy());
  ASSERT_TRUE(eventually([&] { return b.bus.receiver_stats().applied == 3; }));
  auto calls = b.state.snapshot();
  std::erase_if(
      calls, [](const std::string& c) { return c == "drop_caches" || c == "reload_from_store"; });
  EXPECT_EQ(calls, (std::vector<std::string>{"forget_key key_x", "refuse_token_id jti_1 5",
                                             "forget_policy"}));
  EXPECT_TRUE(eventually([&] { return a.bus.receiver_stats().own_skipped == 3; }));
}

TEST(PgNotifyBus, PropagationDelayOverAThousandMessages) {
  Node a("node-a2"), b("node-b2");
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.bus.degraded(); }));
  constexpr int kMessages = 1000;
  std::vector<double> delays_us;
  delays_us.reserve(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    const std::string id = "key_" + std::to_string(i);
    const auto sent = Steady::now();
    a.bus.publish(Message::api_key(id));  // returns once the NOTIFY is sent
    Steady::time_point arrived;
    ASSERT_TRUE(b.state.wait_for(id, &arrived, 10s)) << id;
    delays_us.push_back(std::chrono::duration<double, std::micro>(arrived - sent).count());
  }
  std::sort(delays_us.begin(), delays_us.end());
  const double p50 = delays_us[kMessages / 2];
  const double p99 = delays_us[kMessages * 99 / 100];
  std::printf(
      "[ METRIC   ] invalidation propagation A->B over %d messages: p50 %.0f us, p99 %.0f "
      "us, max %.0f us\n",
      kMessages, p50, p99, delays_us.back());
  // A generous bound (loaded CI machines); the measured figures are the point.
  EXPECT_LT(p99, 1e6);
  EXPECT_EQ(a.bus.publisher_stats().late, 0u);
}

TEST(PgNotifyBus, ABurstIsSentInFewNotifies) {
  Node a("node-a3"), b("node-b3");
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.bus.degraded(); }));
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        a.bus.publish(Message::account_tokens_of_user("usr_" + std::to_string(t * 1000 + i)));
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_TRUE(eventually([&] { return b.bus.receiver_stats().applied == 2000; }));
  const PublisherStats s = a.bus.publisher_stats();
  EXPECT_EQ(s.sent, 2000u);
  EXPECT_LT(s.notifies, 2000u);  // waiting publishers share payloads
  std::printf("[ METRIC   ] 2000 messages from 8 threads: %llu NOTIFY payloads\n",
              static_cast<unsigned long long>(s.notifies));
}

TEST(PgNotifyBus, ALostListenerMakesTheNodeDegradedUntilItHasReloaded) {
  ASSERT_TRUE(pg().ok());
  Sql admin;
  ASSERT_TRUE(admin.ok());
  admin.run("DROP ROLE IF EXISTS node_b4");
  ASSERT_EQ(admin.run("CREATE ROLE node_b4 LOGIN"), "");
  std::string b_url = pg().url();
  b_url.replace(b_url.find("latchkey@"), 8, "node_b4");
  std::atomic<int> store_version{1};
  Node a("node-a4"), b("node-b4", b_url, &store_version);
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.bus.degraded(); }));
  EXPECT_EQ(b.state.loaded_version, 1);
  const int drops_before = b.state.drops;
  const auto entered_before = b.bus.receiver_stats().degraded_entered;  // 1: the start

  // B cannot log in again, and its listener is killed.
  ASSERT_EQ(admin.run("ALTER ROLE node_b4 NOLOGIN"), "");
  const int pid = b.bus.listener_pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(admin.run("SELECT pg_terminate_backend(" + std::to_string(pid) + ")"), "t");
  const auto killed = Steady::now();
  ASSERT_TRUE(eventually([&] { return b.bus.degraded(); }));
  const auto noticed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - killed).count();
  std::printf("[ METRIC   ] listener killed -> degraded in %lld ms\n",
              static_cast<long long>(noticed_ms));
  EXPECT_FALSE(b.trust.trusted());
  EXPECT_GT(b.state.drops, drops_before);  // its caches are empty

  // A change commits while B is away; its notification cannot reach B.
  store_version = 2;
  a.bus.publish(Message::api_key("key_while_away"));
  EXPECT_EQ(a.bus.publisher_stats().late, 0u);  // sent: only B missed it
  // B keeps retrying (each failed attempt drops the caches again) and stays
  // degraded meanwhile.
  const int reloads_before = b.state.reloads;
  const int drops_away = b.state.drops;
  ASSERT_TRUE(eventually([&] { return b.state.drops >= drops_away + 3; }));
  EXPECT_TRUE(b.bus.degraded());
  EXPECT_FALSE(b.trust.trusted());
  EXPECT_FALSE(b.state.has("key_while_away"));
  EXPECT_EQ(b.state.reloads, reloads_before);

  // B may log in again: it re-subscribes, reloads (seeing the change) and
  // only then trusts its caches.
  ASSERT_EQ(admin.run("ALTER ROLE node_b4 LOGIN"), "");
  ASSERT_TRUE(eventually([&] { return !b.bus.degraded(); }));
  EXPECT_TRUE(b.trust.trusted());
  EXPECT_EQ(b.state.loaded_version, 2);
  EXPECT_EQ(b.state.reloads, reloads_before + 1);
  EXPECT_EQ(b.bus.receiver_stats().degraded_entered, entered_before + 1);
  EXPECT_GT(b.bus.listener_pid(), 0);
  EXPECT_NE(b.bus.listener_pid(), pid);
  // And it hears new messages again.
  a.bus.publish(Message::api_key("key_after"));
  Steady::time_point at;
  EXPECT_TRUE(b.state.wait_for("key_after", &at, 10s));
}

TEST(PgNotifyBus, PostgresRestartedBothNodesDegradeThenRecover) {
  Node a("node-a5"), b("node-b5");
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.bus.degraded(); }));
  pg().stop();
  ASSERT_TRUE(eventually([&] { return a.bus.degraded() && b.bus.degraded(); }));
  // The sender connected at start: its first send finds the connection
  // dead (the probe, sent after the restart).
  a.bus.publish(Message::api_key("probe"));
  // Published while PostgreSQL is down: publish() returns after its wait,
  // the message stays queued and is sent after the restart.
  // Four publishers of the same message: queued once (the queue holds
  // distinct messages only while nothing can be sent), sent once.
  std::vector<std::thread> publishers;
  for (int i = 0; i < 4; ++i) {
    publishers.emplace_back([&] { a.bus.publish(Message::api_key("key_during_outage")); });
  }
  for (std::thread& t : publishers) t.join();
  EXPECT_EQ(a.bus.publisher_stats().late, 5u);
  pg().start();
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.bus.degraded(); }, 20s));
  ASSERT_TRUE(eventually([&] { return a.bus.publisher_stats().sent >= 2; }, 20s));
  EXPECT_EQ(a.bus.publisher_stats().sent, 2u);  // the probe and one copy
  EXPECT_GE(b.state.reloads, 2);  // the first subscription and the one after the restart
}

TEST(PgNotifyBus, AToolsResyncReachesTheNodes) {
  ASSERT_TRUE(pg().ok());
  std::atomic<int> store_version{1};
  Node b("node-b7", pg().url(), &store_version);
  ASSERT_TRUE(eventually([&] { return !b.bus.degraded(); }));
  store_version = 2;  // recover-admin wrote to the store directly
  ASSERT_TRUE(notify_once(pg().url(), "recover-admin", {Message::resync()}));
  ASSERT_TRUE(eventually([&] { return b.state.loaded_version == 2; }));
  EXPECT_TRUE(eventually([&] { return !b.bus.degraded(); }));
  const auto down = notify_once("postgres://nobody@127.0.0.1:1/none", "tool", {Message::resync()});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(down.error().description.find("postgres://"), std::string::npos);
}

TEST(PgNotifyBus, APeriodicReloadBoundsWhatAMessageNeverSentCanLeaveStale) {
  ASSERT_TRUE(pg().ok());
  std::atomic<int> store_version{1};
  Node b("node-b6", pg().url(), &store_version, 50ms);
  ASSERT_TRUE(eventually([&] { return !b.bus.degraded(); }));
  // A change whose node died before its NOTIFY: nothing is published.
  store_version = 2;
  ASSERT_TRUE(eventually([&] { return b.state.loaded_version == 2; }));
  // Reloaded while subscribed: not trusted during the reload only, never
  // "degraded" (no log, not counted).
  EXPECT_TRUE(eventually([&] { return !b.bus.degraded(); }));
  EXPECT_EQ(b.bus.receiver_stats().degraded_entered, 1u);  // the start only
}

// A node that dies between a commit and its NOTIFY leaves the change
// unnotified. Its sender connection dies with it: the other nodes' heartbeat
// no longer lists it, and they reload at once instead of at the periodic
// reload (minutes away here).
TEST(PgNotifyBus, ANodeWhosePublisherVanishesMakesTheOthersReload) {
  ASSERT_TRUE(pg().ok());
  Sql admin;
  ASSERT_TRUE(admin.ok());
  std::atomic<int> store_version{1};
  PgNotifyOptions quick = fast_options(pg().url());
  quick.heartbeat = 20ms;
  TimingState b_state(&store_version);
  CacheTrust b_trust;
  PgNotifyBus b(quick, b_state, b_trust, "node-b9");
  Node a("node-a9");
  ASSERT_TRUE(eventually([&] { return !a.bus.degraded() && !b.degraded(); }));  // subscribed
  a.bus.publish(Message::api_key("key_first"));  // A's sender connects
  Steady::time_point at;
  ASSERT_TRUE(b_state.wait_for("key_first", &at, 10s));
  ASSERT_TRUE(eventually([&] { return b.publishers_seen() >= 1 && !b.degraded(); }));
  const auto entered_before = b.receiver_stats().degraded_entered;
  const int a_reloads = a.state.reloads;

  // A commits a change and "dies" before its NOTIFY: its sender goes away.
  store_version = 2;
  const std::string pid = admin.run(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'latchkey-notify-node-a9'");
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(admin.run("SELECT pg_terminate_backend(" + pid + ")"), "t");
  ASSERT_TRUE(eventually([&] { return b_state.loaded_version == 2; }));
  EXPECT_TRUE(eventually([&] { return !b.degraded(); }));
  EXPECT_EQ(b.receiver_stats().degraded_entered, entered_before + 1);
  // A's own listener does not reload for A's own sender.
  EXPECT_EQ(a.state.reloads, a_reloads);
}

// Anyone who can NOTIFY on the database can send garbage; each unreadable
// payload would mean a full reload. They are coalesced: the node is degraded
// at once (correct, slower) and reloads once per min_resync_interval.
TEST(PgNotifyBus, AFloodOfUnreadablePayloadsCostsOneReloadPerInterval) {
  ASSERT_TRUE(pg().ok());
  PgNotifyOptions o = fast_options(pg().url());
  o.min_resync_interval = std::chrono::minutes(10);
  TimingState state;
  CacheTrust trust;
  PgNotifyBus b(o, state, trust, "node-b8");
  ASSERT_TRUE(eventually([&] { return !b.degraded(); }));
  const int reloads = state.reloads;
  Sql admin;
  ASSERT_TRUE(admin.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(
        admin.run("SELECT pg_notify('latchkey_invalidation', 'garbage " + std::to_string(i) + "')"),
        "");
  }
  ASSERT_TRUE(notify_once(pg().url(), "node-a8", {Message::api_key("key_after_garbage")}));
  Steady::time_point at;
  ASSERT_TRUE(state.wait_for("key_after_garbage", &at, 10s));  // the garbage was read first
  EXPECT_EQ(b.receiver_stats().refused, 20u);
  EXPECT_TRUE(b.degraded());
  EXPECT_FALSE(trust.trusted());
  EXPECT_EQ(state.reloads, reloads);  // none yet: the interval has not passed
}

}  // namespace
}  // namespace latchkey::invalidation
