#include "audit/buffered_audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_clock.h"

namespace latchkey {
namespace {

using namespace std::chrono_literals;

// An AuditStore in memory that records each append as one batch, can hold
// appends at a gate, and lets a test wait (on a condition variable, never
// a sleep) until a number of events has arrived.
class RecordingAuditStore final : public AuditStore {
 public:
  Status append(std::span<const AuditEvent> events) override {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    if (fail_next_) {
      fail_next_ = false;
      return fail(Error::unavailable("disk full"));
    }
    batches_.emplace_back(events.begin(), events.end());
    cv_.notify_all();
    return {};
  }
  Result<AuditPage> query(const AuditQuery&) override { return AuditPage{}; }
  Result<std::vector<AuditClient>> clients_of(std::string_view, Instant, Instant) override {
    return std::vector<AuditClient>{};
  }
  Result<std::vector<AuditActionUse>> action_usage(Instant, Instant) override {
    return std::vector<AuditActionUse>{};
  }
  Result<std::int64_t> prune(Instant) override { return 0; }

  void close_gate() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void open_gate() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void fail_next() {
    std::lock_guard lock(mu_);
    fail_next_ = true;
  }
  // Waits until `n` events are stored; false after a generous deadline
  // (a hang guard only: passing never depends on time).
  bool wait_for_events(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return count_locked() >= n; });
  }
  bool wait_for_entered(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return entered_ >= n; });
  }
  std::vector<std::vector<AuditEvent>> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }
  // Every stored row, in append order.
  std::vector<AuditEvent> rows() {
    std::lock_guard lock(mu_);
    std::vector<AuditEvent> out;
    for (const auto& batch : batches_) out.insert(out.end(), batch.begin(), batch.end());
    return out;
  }
  // The calls the stored rows stand for: the sum of their counts.
  std::uint64_t calls() {
    std::lock_guard lock(mu_);
    std::uint64_t n = 0;
    for (const auto& batch : batches_) {
      for (const auto& e : batch) n += e.count;
    }
    return n;
  }
  std::vector<std::string> actions() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& batch : batches_) {
      for (const auto& e : batch) out.push_back(e.action);
    }
    return out;
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return count_locked();
  }

 private:
  std::size_t count_locked() const {
    std::size_t n = 0;
    for (const auto& b : batches_) n += b.size();
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  bool fail_next_ = false;
  int entered_ = 0;
  std::vector<std::vector<AuditEvent>> batches_;
};

AuditEvent event(std::string action) {
  AuditEvent e;
  e.action = std::move(action);
  e.principal_id = "usr_1";
  return e;
}

BufferedAuditLogOptions options(std::size_t capacity, std::size_t max_batch,
                                Duration interval = std::chrono::hours(1)) {
  BufferedAuditLogOptions o;
  o.capacity = capacity;
  o.max_batch = max_batch;
  o.flush_interval = interval;
  return o;
}

// Test that record() does not write by itself: below max_batch and before
// the interval nothing is stored, and flush() then stores everything in
// recording order, in one batch.
TEST(BufferedAuditLog, BuffersUntilFlush) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 10));
  log.record(event("a"));
  log.record(event("b"));
  log.record(event("c"));
  EXPECT_EQ(store.count(), 0u);
  ASSERT_TRUE(log.flush().has_value());
  EXPECT_EQ(store.actions(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(store.batches().size(), 1u);
  EXPECT_EQ(log.stats().written, 3u);
}

// Test that a full batch is written by the flusher without flush(), that no
// append holds more than max_batch events, and that order is kept.
TEST(BufferedAuditLog, WritesFullBatchesInTheBackground) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 3));
  for (int i = 0; i < 7; ++i) log.record(event(std::to_string(i)));
  // The third event woke the flusher, which takes at least those three
  // (and whatever was recorded by then; the rest waits for flush()).
  ASSERT_TRUE(store.wait_for_events(3));
  ASSERT_TRUE(log.flush().has_value());
  EXPECT_EQ(store.actions(), (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  for (const auto& batch : store.batches()) EXPECT_LE(batch.size(), 3u);
  EXPECT_GE(log.stats().batches, 3u);
}

// Test that an event older than the flush interval (by the injected clock)
// is written by the flusher, once the clock moved and the flusher looked.
TEST(BufferedAuditLog, WritesWhenTheIntervalHasPassed) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 1000, std::chrono::seconds(1)));
  log.record(event("old"));
  clock.advance(std::chrono::seconds(1));
  log.tick();
  ASSERT_TRUE(store.wait_for_events(1));
  EXPECT_EQ(store.actions(), (std::vector<std::string>{"old"}));
}

// Test that shutdown() (as latchkeyd does after draining) stores every
// buffered event, and that events recorded after it are written through.
TEST(BufferedAuditLog, ShutdownFlushesEverything) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  {
    BufferedAuditLog log(store, clock, options(100, 50));
    for (int i = 0; i < 20; ++i) log.record(event("e" + std::to_string(i % 4)));
    log.shutdown();
    EXPECT_EQ(store.calls(), 20u);
    EXPECT_EQ(store.count(), 4u);  // e0..e3, five calls each
    log.record(event("late"));
    EXPECT_EQ(store.calls(), 21u);
  }
  EXPECT_EQ(store.calls(), 21u);
}

// Test that the destructor flushes too.
TEST(BufferedAuditLog, DestructionFlushes) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  {
    BufferedAuditLog log(store, clock, options(100, 50));
    log.record(event("x"));
  }
  EXPECT_EQ(store.count(), 1u);
}

// Test that a full buffer drops new events and counts them instead of
// blocking the caller, and warns once about them.
TEST(BufferedAuditLog, DropsAndCountsWhenFull) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  std::mutex warn_mu;
  std::vector<std::string> warnings;
  BufferedAuditLogOptions o = options(4, 1);
  o.warn = [&](std::string_view w) {
    std::lock_guard lock(warn_mu);
    warnings.emplace_back(w);
  };
  BufferedAuditLog log(store, clock, o);
  store.close_gate();
  log.record(event("first"));  // a full batch of one: taken by the flusher, held at the gate
  ASSERT_TRUE(store.wait_for_entered(1));
  for (int i = 0; i < 10; ++i) log.record(event("e" + std::to_string(i)));  // never blocks
  EXPECT_EQ(log.stats().dropped, 6u);
  EXPECT_EQ(log.stats().recorded, 5u);
  store.open_gate();
  ASSERT_TRUE(log.flush().has_value());
  EXPECT_EQ(store.actions(), (std::vector<std::string>{"first", "e0", "e1", "e2", "e3"}));
  std::lock_guard lock(warn_mu);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("dropped 6 events"), std::string::npos) << warnings[0];
}

// Test that record_durably() has stored the event when it returns, and
// returns the store's error when the store refuses it.
TEST(BufferedAuditLog, RecordDurablyWritesThrough) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50));
  ASSERT_TRUE(log.record_durably(event("admin.change")).has_value());
  EXPECT_EQ(store.actions(), (std::vector<std::string>{"admin.change"}));
  store.fail_next();
  auto refused = log.record_durably(event("admin.change2"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(log.stats().failed, 1u);
}

// Test that a secret a client put in a header never reaches the store:
// every field is redacted to the masked form.
TEST(BufferedAuditLog, RedactsSecretsBeforeStoring) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50));
  // Split so that secret scanners do not flag this fake (its checksum is wrong).
  const std::string secret =
      std::string("lk_") + "sec_0123456789abcdefghijABCDEFGHIJ0123456789abcdefg";
  AuditEvent e = event("account.token.issue");
  e.user_agent = "curl " + secret;
  e.integration = secret;
  log.record(e);
  ASSERT_TRUE(log.record_durably(e).has_value());
  ASSERT_TRUE(log.flush().has_value());
  for (const auto& batch : store.batches()) {
    for (const AuditEvent& stored : batch) {
      EXPECT_EQ(stored.user_agent.find(secret), std::string::npos);
      EXPECT_EQ(stored.integration.find(secret), std::string::npos);
      EXPECT_NE(stored.integration.find(secret.substr(secret.size() - 4)), std::string::npos);
    }
  }
}

// --- coalescing -------------------------------------------------------------

// An event of every field set, at `at`.
AuditEvent call_at(Instant at) {
  AuditEvent e;
  e.at = at;
  e.principal_id = "usr_svc";
  e.principal_name = "risk-sync";
  e.credential = "client cli_svc";
  e.action = "authorize.create_record";
  e.resource = "application/app_1";
  e.decision = AuditDecision::kAllow;
  e.client_ip = "10.0.0.1";
  e.user_agent = "risk-sync/2.1";
  e.integration = "risk-sync";
  return e;
}

// Test that identical calls (every field equal but the time) recorded
// within one flush interval are stored as one row whose count is how many
// they were and whose time is the first of them.
TEST(BufferedAuditLog, CoalescesIdenticalCallsIntoOneRow) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50, std::chrono::seconds(1)));
  const Instant t = clock.now();
  for (int i = 0; i < 5; ++i) log.record(call_at(t + std::chrono::milliseconds(100 * i)));
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 5u);
  EXPECT_EQ(rows[0].at, t);
  EXPECT_EQ(rows[0].action, "authorize.create_record");
  const AuditLogStats stats = log.stats();
  EXPECT_EQ(stats.recorded, 5u);
  EXPECT_EQ(stats.written, 5u);
  EXPECT_EQ(stats.rows, 1u);
  EXPECT_EQ(stats.batches, 1u);
}

// Test that calls differing in any one field are never merged: each
// variant keeps its own row (and the unchanged call, recorded twice, its
// own row of count 2).
TEST(BufferedAuditLog, DoesNotMergeCallsThatDifferInAnyField) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50));
  const Instant t = clock.now();
  const std::vector<void (*)(AuditEvent&)> variants = {
      [](AuditEvent& e) { e.principal_id = "usr_other"; },
      [](AuditEvent& e) { e.principal_name = "other-name"; },
      [](AuditEvent& e) { e.credential = "key ••••a1B9"; },
      [](AuditEvent& e) { e.action = "authorize.update_record"; },
      [](AuditEvent& e) { e.resource = "application/app_2"; },
      [](AuditEvent& e) { e.decision = AuditDecision::kDeny; },
      [](AuditEvent& e) { e.reason = "module_missing"; },
      [](AuditEvent& e) { e.client_ip = "10.0.0.2"; },
      [](AuditEvent& e) { e.user_agent = "risk-sync/2.2"; },
      [](AuditEvent& e) { e.integration = "warehouse-export"; },
  };
  log.record(call_at(t));
  for (const auto& change : variants) {
    AuditEvent e = call_at(t);
    change(e);
    log.record(std::move(e));
  }
  log.record(call_at(t));
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), variants.size() + 1);
  EXPECT_EQ(rows[0].count, 2u);
  EXPECT_EQ(rows[0].principal_id, "usr_svc");
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i].count, 1u) << i;
}

// Test that a row covers less than one flush interval: a repeat that would
// stretch it to a whole interval or more starts a new row.
TEST(BufferedAuditLog, CoalescesOnlyWithinOneFlushInterval) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50, std::chrono::seconds(1)));
  const Instant t = clock.now();
  log.record(call_at(t));
  log.record(call_at(t + std::chrono::milliseconds(999)));   // same row
  log.record(call_at(t + std::chrono::milliseconds(1000)));  // a new one
  log.record(call_at(t + std::chrono::milliseconds(1500)));  // merged into the new one
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at, t);
  EXPECT_EQ(rows[0].count, 2u);
  EXPECT_EQ(rows[1].at, t + std::chrono::milliseconds(1000));
  EXPECT_EQ(rows[1].count, 2u);
}

// Test that rows already stored are not added to: a repeat after a flush
// is a new row.
TEST(BufferedAuditLog, AFlushEndsTheRowsItStores) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50));
  log.record(call_at(clock.now()));
  ASSERT_TRUE(log.flush().has_value());
  log.record(call_at(clock.now()));
  log.record(call_at(clock.now()));
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].count, 1u);
  EXPECT_EQ(rows[1].count, 2u);
}

// Test that a secret in a header is redacted in a coalesced row too, and
// that calls differing only in the secret are not merged into one row
// claiming to be the same call.
TEST(BufferedAuditLog, RedactsCoalescedRows) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(100, 50));
  const std::string secret =
      std::string("lk_") + "sec_0123456789abcdefghijABCDEFGHIJ0123456789abcdefg";
  AuditEvent e = call_at(clock.now());
  e.user_agent = "bot " + secret;
  log.record(e);
  log.record(e);
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 2u);
  EXPECT_EQ(rows[0].user_agent.find(secret), std::string::npos) << rows[0].user_agent;
}

// --- backpressure with coalescing --------------------------------------------

// Test that capacity bounds rows, not calls: when the buffer is full a call
// needing a new row is dropped and counted, while a repeat of a waiting row
// is merged into it and never dropped.
TEST(BufferedAuditLog, RepeatsOfAWaitingRowAreNotDropped) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(2, 50));
  AuditEvent a = call_at(clock.now());
  AuditEvent b = a;
  b.action = "b";
  AuditEvent c = a;
  c.action = "c";
  log.record(a);
  log.record(b);  // the buffer is full now: two rows
  log.record(c);  // dropped
  log.record(a);  // merged
  log.record(a);  // merged
  EXPECT_EQ(log.stats().dropped, 1u);
  EXPECT_EQ(log.stats().recorded, 4u);
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].count, 3u);
  EXPECT_EQ(rows[1].action, "b");
  EXPECT_EQ(log.stats().written, 4u);
}

// Test that record_durably() stores each event as a row of its own at
// once: never merged with an identical one, never held back or dropped by
// a full buffer.
TEST(BufferedAuditLog, RecordDurablyIsNeitherCoalescedNorDropped) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLog log(store, clock, options(1, 50));
  log.record(call_at(clock.now()));
  log.record(event("dropped"));  // the buffer is full
  ASSERT_TRUE(log.record_durably(event("admin.change")).has_value());
  ASSERT_TRUE(log.record_durably(event("admin.change")).has_value());
  EXPECT_EQ(store.actions(), (std::vector<std::string>{"admin.change", "admin.change"}));
  EXPECT_EQ(log.stats().dropped, 1u);
  EXPECT_EQ(log.stats().recorded, 3u);
}

// --- shards -------------------------------------------------------------------

// Test that N threads x M identical calls, several flush intervals' worth,
// come out as exactly one row per interval (coalesced in each thread's shard
// as they are recorded, then across shards when flush() takes them) whose
// counts add up to N x M, and that flush() on another thread stores what
// every thread recorded before it.
TEST(BufferedAuditLog, ThreadsOnShardsCoalesceIdenticalCalls) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLogOptions o = options(10'000, 1'000, std::chrono::seconds(1));
  o.shards = 4;
  BufferedAuditLog log(store, clock, o);
  ASSERT_EQ(log.shard_count(), 4u);
  constexpr int kThreads = 8;
  constexpr int kPerWindow = 250;
  constexpr int kWindows = 3;
  const Instant t = clock.now();
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&] {
      for (int w = 0; w < kWindows; ++w) {
        for (int m = 0; m < kPerWindow; ++m) log.record(call_at(t + std::chrono::seconds(w)));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kWindows));
  for (int w = 0; w < kWindows; ++w) {
    EXPECT_EQ(rows[w].at, t + std::chrono::seconds(w));
    EXPECT_EQ(rows[w].count, static_cast<std::uint64_t>(kThreads * kPerWindow)) << w;
  }
  EXPECT_EQ(store.calls(), static_cast<std::uint64_t>(kThreads * kPerWindow * kWindows));
  EXPECT_EQ(log.stats().recorded, store.calls());
  EXPECT_EQ(log.stats().written, store.calls());
  EXPECT_EQ(log.stats().rows, rows.size());
}

// Test that the threads' rows, taken from several shards by one flush,
// are stored in time order, and that distinct calls of different threads
// are not merged.
TEST(BufferedAuditLog, AFlushStoresTheShardsRowsInTimeOrder) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLogOptions o = options(10'000, 1'000);
  o.shards = 8;
  BufferedAuditLog log(store, clock, o);
  const Instant t = clock.now();
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&, n] {
      for (int i = 0; i < 10; ++i) {
        AuditEvent e = call_at(t + std::chrono::milliseconds(i * kThreads + n));
        e.action = "call" + std::to_string(i * kThreads + n);
        log.record(std::move(e));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(log.flush().has_value());
  const auto rows = store.rows();
  ASSERT_EQ(rows.size(), 40u);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].at, t + std::chrono::milliseconds(i)) << i;
    EXPECT_EQ(rows[i].count, 1u);
  }
}

// Test audit completeness under load: N threads recording concurrently
// (identical and distinct calls, while the flusher writes small batches),
// then shutdown(): the stored counts add up to exactly what was recorded.
TEST(BufferedAuditLog, NothingIsLostAtShutdownUnderLoad) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLogOptions o = options(1'000'000, 16);
  o.shards = 4;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2'000;
  {
    BufferedAuditLog log(store, clock, o);
    std::vector<std::thread> threads;
    for (int n = 0; n < kThreads; ++n) {
      threads.emplace_back([&, n] {
        for (int i = 0; i < kPerThread; ++i) {
          AuditEvent e = call_at(clock.now());
          e.principal_id = "usr_" + std::to_string(n % 3);
          e.action = "a" + std::to_string(i % 7);
          if (i % 5 == 0) e.resource = "r" + std::to_string(i);  // distinct
          log.record(std::move(e));
        }
      });
    }
    for (auto& thread : threads) thread.join();
    log.shutdown();
    const AuditLogStats stats = log.stats();
    EXPECT_EQ(stats.recorded, static_cast<std::uint64_t>(kThreads * kPerThread));
    EXPECT_EQ(stats.written, stats.recorded);
    EXPECT_EQ(stats.dropped, 0u);
    EXPECT_EQ(stats.failed, 0u);
    EXPECT_LT(stats.rows, stats.written);  // some were coalesced
  }
  EXPECT_EQ(store.calls(), static_cast<std::uint64_t>(kThreads * kPerThread));
}

// Test that shutdown() racing with record() on other threads loses nothing:
// what was buffered before the shards closed is written by shutdown(), what
// came after is written through.
TEST(BufferedAuditLog, NothingIsLostWhenShutdownRacesWithRecord) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLogOptions o = options(1'000'000, 64);
  o.shards = 4;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 3'000;
  BufferedAuditLog log(store, clock, o);
  std::latch started(kThreads);
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&, n] {
      for (int i = 0; i < kPerThread; ++i) {
        if (i == 100) started.count_down();
        AuditEvent e = call_at(clock.now());
        e.principal_id = "usr_" + std::to_string(n);
        e.action = "a" + std::to_string(i % 3);
        log.record(std::move(e));
      }
    });
  }
  started.wait();  // every thread is recording
  log.shutdown();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store.calls(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(log.stats().recorded, store.calls());
  EXPECT_EQ(log.stats().written, store.calls());
  EXPECT_EQ(log.stats().dropped, 0u);
}

// Test that drops are counted per call and summed over every shard when
// several threads fill the buffer while the store is held.
TEST(BufferedAuditLog, DropsAreCountedAcrossShards) {
  RecordingAuditStore store;
  testing::FakeClock clock;
  BufferedAuditLogOptions o = options(10, 1'000);
  o.shards = 4;
  BufferedAuditLog log(store, clock, o);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&, n] {
      for (int i = 0; i < kPerThread; ++i)
        log.record(event(std::to_string(n) + "." + std::to_string(i)));
    });
  }
  for (auto& thread : threads) thread.join();
  const AuditLogStats stats = log.stats();
  EXPECT_EQ(stats.recorded, 10u);
  EXPECT_EQ(stats.dropped, static_cast<std::uint64_t>(kThreads * kPerThread - 10));
  ASSERT_TRUE(log.flush().has_value());
  EXPECT_EQ(store.calls(), 10u);
}

}  // namespace
}  // namespace latchkey
