// Concurrent requests per key per route (seed 004: 5 per endpoint). The
// sixth request is refused at once, never queued. A Slot is held for the
// whole life of a request and released by its destructor: when the response
// has been sent, the client went away, or the upstream failed.
//
// Two implementations: in this process (make_local_concurrency_limiter) and
// in Redis with leases (redis_limiters.h), so that the count is global.
//
// Thread-safety: acquire(), try_acquire() and in_use() are safe from any
// thread; a Slot may be released on any thread. A Slot must not outlive the
// limiter that gave it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey::limits {

class ConcurrencyLimiter;

class Slot {
 public:
  Slot() = default;
  Slot(Slot&& other) noexcept;
  Slot& operator=(Slot&& other) noexcept;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot();
  void release();  // early release; the destructor then does nothing
  bool held() const { return limiter_ != nullptr; }

 private:
  friend class ConcurrencyLimiter;
  Slot(ConcurrencyLimiter* limiter, std::string key, std::string lease)
      : limiter_(limiter), key_(std::move(key)), lease_(std::move(lease)) {}
  ConcurrencyLimiter* limiter_ = nullptr;
  std::string key_;
  std::string lease_;  // the implementation's name for this slot (a Redis lease)
};

// What acquire() decided. kUnavailable: the shared counter (Redis) could not
// be asked; the pipeline's key-limit stage decides what that means
// (docs/rate-limits.md), never the limiter.
enum class SlotOutcome { kAcquired, kRefused, kUnavailable };

struct SlotAcquisition {
  SlotOutcome outcome = SlotOutcome::kRefused;
  Slot slot;  // held when kAcquired
};

class ConcurrencyLimiter {
 public:
  virtual ~ConcurrencyLimiter() = default;
  // A slot for `key` when fewer than `limit` are held.
  // limit <= 0 means unlimited (a slot is still counted).
  virtual SlotAcquisition acquire(std::string_view key, int limit) = 0;
  // Slots held for `key` now (-1 when the count cannot be read).
  virtual int in_use(std::string_view key) const = 0;

  // acquire(), with refused and unavailable both nullopt.
  std::optional<Slot> try_acquire(std::string_view key, int limit);

 protected:
  // For implementations: a held slot that calls release_slot(key, lease) once.
  Slot make_slot(std::string key, std::string lease = {}) {
    return Slot(this, std::move(key), std::move(lease));
  }
  virtual void release_slot(const std::string& key, const std::string& lease) = 0;

 private:
  friend class Slot;
};

// The in-process limiter: a node counts its own requests.
std::unique_ptr<ConcurrencyLimiter> make_local_concurrency_limiter();

}  // namespace latchkey::limits
