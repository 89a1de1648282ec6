// BufferedAuditLog: the AuditLog of latchkeyd. record() appends the event to
// a bounded in-memory buffer and returns; a background flusher appends the
// buffer to the AuditStore in batches of at most `max_batch` events, one
// transaction each:
//   - as soon as `max_batch` events are waiting,
//   - when the oldest waiting event is `flush_interval` old (by the injected
//     Clock; the flusher re-checks every flush_interval of real time, and on
//     tick()),
//   - on flush(), and on shutdown() (and destruction), which write everything.
// Backpressure: when `capacity` events are already waiting, record() drops
// the new event and counts it (stats().dropped; one warning per flush that
// saw drops); requests are never blocked by a slow store. A batch the store
// refuses is counted in stats().failed and warned about, not retried.
// record_durably() and flush() write through on the caller's thread.
//
// Every event is passed through redact_secrets() before it is stored (on the
// flusher thread for record()), so that a secret a client put in a header
// (User-Agent, X-Integration) never reaches the trail (DESIGN invariant 6).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "store/audit_store.h"

namespace latchkey {

struct BufferedAuditLogOptions {
  std::size_t capacity = 65'536;  // events waiting at most; beyond: dropped
  std::size_t max_batch = 1'024;  // events per append
  Duration flush_interval = std::chrono::seconds(1);
  // Called (from any thread) with an operator-facing warning: drops and
  // failed batches. Never with a secret.
  std::function<void(std::string_view)> warn;
};

struct AuditLogStats {
  std::uint64_t recorded = 0;  // accepted by record() or record_durably()
  std::uint64_t written = 0;   // appended to the store
  std::uint64_t dropped = 0;   // refused by record() because the buffer was full
  std::uint64_t failed = 0;    // lost because the store refused their batch
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

  AuditLogStats stats() const;

 private:
  void run_flusher();
  bool flush_due() const;  // REQUIRES(mu_)
  // Takes batches off the buffer and appends them, under write_mu_ so that
  // batches reach the store in the order they were recorded. With `all`,
  // until the buffer is empty; otherwise while a flush is due.
  Status write_waiting(bool all);
  Status append(std::vector<AuditEvent>& batch);

  AuditStore& store_;
  const Clock& clock_;
  const BufferedAuditLogOptions options_;

  std::mutex write_mu_;  // held while appending: one writer at a time, in order
  mutable std::mutex mu_;
  std::condition_variable cv_;
  struct Waiting {
    Instant arrived;  // by clock_
    AuditEvent event;
  };
  std::deque<Waiting> waiting_;     // GUARDED_BY(mu_)
  bool stopping_ = false;           // GUARDED_BY(mu_)
  bool stopped_ = false;            // GUARDED_BY(mu_)
  std::uint64_t warned_drops_ = 0;  // GUARDED_BY(mu_)
  AuditLogStats stats_;             // GUARDED_BY(mu_)
  std::thread flusher_;
};

}  // namespace latchkey
