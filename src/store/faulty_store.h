// FaultyStore: a Store decorator that makes chosen writes fail, for fault
// injection tests only (docs/security/faults.md). latchkeyd wraps its real
// store in it only with --insecure-test-faults, which also exposes
// POST /_test/faults to arm it; without that flag no FaultyStore exists.
//
// Counted writes are the request-driven ones: every write method of the
// store and its area stores except the background ones (audit batches, API
// key last-used times, the webhook deliverer's claims and marks, pruning),
// whose timing no test controls. After
// arm(), the N-th counted write fails (and, in mode "forever", every later
// one too) with kUnavailable, at one of two points:
//   - kBeforeWrite: the backend is not called; nothing is written (a write
//     or its commit that failed and rolled back);
//   - kAfterCommit: the backend commits, then the caller is told it failed
//     (a commit whose outcome was lost: the write IS durable).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace latchkey {

class FaultInjector {
 public:
  enum class Point { kBeforeWrite, kAfterCommit };
  struct Plan {
    std::uint64_t nth = 0;  // 1 = the first counted write after arming; 0 = disarmed
    bool forever = false;   // also fail every counted write after the N-th
    Point point = Point::kBeforeWrite;
  };
  struct Stats {
    std::uint64_t writes = 0;  // counted writes since the last arm()
    std::uint64_t failed = 0;  // of which failed on purpose
  };

  // Replaces the plan and restarts counting.
  void arm(const Plan& plan);
  Stats stats() const;

  // Called once per counted write: the point where it must fail, if any.
  std::optional<Point> next();

 private:
  mutable std::mutex mu_;
  Plan plan_;    // guarded by mu_
  Stats stats_;  // guarded by mu_
};

// The error an injected fault returns (kUnavailable, as a failed commit).
Error injected_fault(std::string_view op);

// Wraps `inner`; every call is forwarded, counted writes through `faults`.
std::unique_ptr<Store> make_faulty_store(std::unique_ptr<Store> inner,
                                         std::shared_ptr<FaultInjector> faults);

}  // namespace latchkey
