#include "console_auth/hashing_gate.h"

#include <algorithm>
#include <thread>

namespace latchkey::console_auth {

HashingGate::HashingGate(unsigned slots)
    : slots_(slots != 0 ? slots : std::max(2u, std::thread::hardware_concurrency())) {}

std::optional<HashingGate::Slot> HashingGate::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [&] { return in_use_ < slots_; })) return std::nullopt;
  ++in_use_;
  return Slot(this);
}

void HashingGate::release() {
  {
    std::lock_guard lock(mu_);
    --in_use_;
  }
  freed_.notify_one();
}

}  // namespace latchkey::console_auth
