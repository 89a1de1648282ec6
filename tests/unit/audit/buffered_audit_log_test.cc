#include "audit/buffered_audit_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
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
  ASSERT_TRUE(store.wait_for_events(6));  // two full batches, flushed by the thread
  ASSERT_TRUE(log.flush().has_value());   // the remaining one
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
    for (int i = 0; i < 20; ++i) log.record(event("e"));
    log.shutdown();
    EXPECT_EQ(store.count(), 20u);
    log.record(event("late"));
    EXPECT_EQ(store.count(), 21u);
  }
  EXPECT_EQ(store.count(), 21u);
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

}  // namespace
}  // namespace latchkey
