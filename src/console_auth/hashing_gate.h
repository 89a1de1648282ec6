// HashingGate: bounds how many argon2id hashings or verifications run at
// once. Each takes 64 MiB and a blocking-pool thread for tens of
// milliseconds; unbounded, 64 parallel sign-ins (even for unknown users)
// would take ~4 GiB. A caller that finds every slot taken waits a short
// bounded time (it holds its pool thread meanwhile, so the wait is about
// one hashing), then is told to come back (503).
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace latchkey::console_auth {

class HashingGate {
 public:
  // `slots` 0: the number of cores, at least 2.
  explicit HashingGate(unsigned slots = 0);

  // A taken slot, given back when destroyed.
  class Slot {
   public:
    explicit Slot(HashingGate* gate) : gate_(gate) {}
    Slot(Slot&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gate_ != nullptr) gate_->release();
    }

   private:
    HashingGate* gate_;
  };

  // A slot, waiting at most `wait` (real time) for one; nullopt when none
  // came free.
  std::optional<Slot> acquire(std::chrono::milliseconds wait);

  unsigned slots() const { return slots_; }

 private:
  void release();

  const unsigned slots_;
  std::mutex mu_;
  std::condition_variable freed_;
  unsigned in_use_ = 0;  // guarded by mu_
};

}  // namespace latchkey::console_auth
