// BufferedAuditLog: the AuditLog of latchkeyd. record() appends the event to
// a bounded in-memory buffer and returns; a background flusher appends the
// buffer to the AuditStore in batches of at most `max_batch` rows, one
// transaction each:
//   - as soon as `max_batch` rows are waiting,
//   - when the oldest waiting row is `flush_interval` old (by the injected
//     Clock; the flusher re-checks every flush_interval of real time, and on
//     tick()),
//   - on flush(), and on shutdown() (and destruction), which write everything.
//
// Sharding: the buffer is `shards` independent shards, each with its own
// mutex; a thread always records into the same shard (picked once per
// thread, round robin), so record() takes no process-wide lock and, with at
// least as many shards as recording threads, its mutex is uncontended. Every
// flush takes the waiting rows of all shards at once. Events recorded by one
// thread reach the store in the order they were recorded; across threads,
// each flush appends its rows ordered by `at`.
//
// Coalescing: events equal in every field but `at` (and `id`) are stored as
// one row whose `count` says how many they were and whose `at` is the
// earliest, as long as they all fall within less than `flush_interval` of
// each other: within a shard as they are recorded, and across shards when a
// flush takes them. A row therefore stands for identical calls made within
// one flush interval; stats().written counts events (a row of count n is n),
// stats().rows counts rows.
//
// Backpressure: when `capacity` rows are already waiting, record() drops a
// new event that would need a row of its own and counts it (stats().dropped;
// one warning per flush that saw drops); a repeat of a waiting row is merged
// into it, never dropped. Requests are never blocked by a slow store. A
// batch the store refuses is counted in stats().failed and warned about, not
// retried.
//
// record_durably() writes through on the caller's thread: the event is
// stored, in a transaction of its own and never coalesced, before it
// returns, whatever is waiting in the buffer (so an admin change is recorded
// before it is applied, and a full buffer never delays or drops it). flush()
// also writes on the caller's thread, everything recorded before it was
// called.
//
// Every event is passed through redact_secrets() before it is stored (on the
// flusher thread for record()), so that a secret a client put in a header
// (User-Agent, X-Integration) never reaches the trail (DESIGN invariant 6).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "store/audit_store.h"

namespace latchkey {

struct BufferedAuditLogOptions {
  std::size_t capacity = 65'536;  // rows waiting at most; beyond: dropped
  std::size_t max_batch = 1'024;  // rows per append
  Duration flush_interval = std::chrono::seconds(1);
  // How many buffers record() spreads its callers over; 0: twice the
  // hardware threads (at least 2, at most 256).
  std::size_t shards = 0;
  // Called (from any thread) with an operator-facing warning: drops and
  // failed batches. Never with a secret.
  std::function<void(std::string_view)> warn;
};

struct AuditLogStats {
  std::uint64_t recorded = 0;  // events accepted by record() or record_durably()
  std::uint64_t written = 0;   // events appended to the store (a row of count n: n)
  std::uint64_t rows = 0;      // rows appended to the store (written - rows: coalesced)
  std::uint64_t dropped = 0;   // events refused by record() because the buffer was full
  std::uint64_t failed = 0;    // events lost because the store refused their batch
  std::uint64_t batches = 0;   // appends made
};

class BufferedAuditLog final : public AuditLog {
 public:
  // Starts the flusher. `store` and `clock` must outlive the log.
  BufferedAuditLog(AuditStore& store, const Clock& clock, BufferedAuditLogOptions options);
  ~BufferedAuditLog() override;  // shutdown()
  BufferedAuditLog(const BufferedAuditLog&) = delete;
  BufferedAuditLog& operator=(const BufferedAuditLog&) = delete;

  void record(AuditEvent event) override;
  Status record_durably(AuditEvent event) override;
  Status flush() override;

  // Writes everything waiting, then stops the flusher. Later record() calls
  // are written through (nothing is lost after shutdown). Idempotent.
  void shutdown();

  // Wakes the flusher to re-check whether a flush is due now (after a test
  // moved the injected clock).
  void tick();

  // A snapshot; each counter is exact, the set is not one instant's.
  AuditLogStats stats() const;

  std::size_t shard_count() const { return shard_count_; }

 private:
  // A row waiting in a shard: the event (count and earliest `at` so far),
  // the latest `at` merged into it, and the hash of its coalescing key.
  struct Pending {
    AuditEvent event;
    Instant last_at;
    std::size_t key_hash = 0;
  };

  // One buffer. Aligned so that two shards never share a cache line.
  struct alignas(64) Shard {
    std::mutex mu;
    std::vector<Pending> rows;  // GUARDED_BY(mu), in recording order
    // Coalescing key hash -> index in `rows` of the newest row with it.
    std::unordered_map<std::size_t, std::size_t> by_key;  // GUARDED_BY(mu)
    bool closed = false;  // GUARDED_BY(mu); set by shutdown(): write through
    // Unix millis (by clock_) at which rows.front() arrived; kNoneWaiting
    // when empty. Written under mu, read by the flusher without it.
    std::atomic<std::int64_t> oldest_ms;
    std::atomic<std::uint64_t> recorded{0};
    std::atomic<std::uint64_t> dropped{0};
    Shard();
  };

  // Merges `from` into `into` when they are the same call and together
  // span less than `window` (from the earliest `at` to the latest).
  static bool merge(Pending& into, const Pending& from, Duration window);
  // Coalesces rows taken from several shards, ordered by `at`; keeps the
  // order.
  static void coalesce(std::vector<Pending>& rows, Duration window);

  Shard& shard_of_this_thread();
  void run_flusher();
  bool flush_due() const;
  // Takes every shard's waiting rows and appends them, coalesced across
  // shards, in batches of max_batch, under write_mu_ so that batches reach
  // the store in the order they were taken. Without `all`, only if a flush
  // is due.
  Status write_waiting(bool all);
  // Appends `batch` in one transaction (redacting it first); updates stats.
  Status append(std::vector<AuditEvent>& batch);

  AuditStore& store_;
  const Clock& clock_;
  const BufferedAuditLogOptions options_;
  const std::size_t shard_count_;
  const std::unique_ptr<Shard[]> shards_;

  // Rows waiting in all shards together: bounds them by capacity and tells
  // the flusher that a full batch is waiting.
  std::atomic<std::size_t> waiting_rows_{0};

  std::atomic<std::uint64_t> durable_recorded_{0};
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> rows_written_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> batches_{0};

  std::mutex write_mu_;             // held while appending: one writer at a time, in order
  std::uint64_t warned_drops_ = 0;  // GUARDED_BY(write_mu_)

  mutable std::mutex mu_;  // the flusher's wake-ups
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread flusher_;
};

}  // namespace latchkey
