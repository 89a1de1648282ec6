// Concurrent requests per key per route (seed 004: 5 per endpoint). The
// sixth request is refused at once, never queued. A Slot is held for the
// whole life of a request and released by its destructor: when the response
// has been sent, the client went away, or the upstream failed.
//
// Thread-safety: try_acquire() and in_use() are safe from any thread; a Slot
// may be released on any thread.
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
  Slot(ConcurrencyLimiter* limiter, std::string key) : limiter_(limiter), key_(std::move(key)) {}
  ConcurrencyLimiter* limiter_ = nullptr;
  std::string key_;
};

class ConcurrencyLimiter {
 public:
  ConcurrencyLimiter();
  ~ConcurrencyLimiter();
  // A slot for `key` when fewer than `limit` are held; nullopt otherwise.
  // limit <= 0 means unlimited (a slot is still counted).
  std::optional<Slot> try_acquire(std::string_view key, int limit);
  int in_use(std::string_view key) const;

 private:
  friend class Slot;
  void release(const std::string& key);
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace latchkey::limits
