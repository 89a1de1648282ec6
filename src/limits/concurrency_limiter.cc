#include "limits/concurrency_limiter.h"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace latchkey::limits {

struct ConcurrencyLimiter::State {
  mutable std::mutex mu;
  std::unordered_map<std::string, int> in_use;  // GUARDED_BY(mu); no entry when 0
};

Slot::Slot(Slot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), key_(std::move(other.key_)) {}

Slot& Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

Slot::~Slot() { release(); }

void Slot::release() {
  if (limiter_ == nullptr) return;
  std::exchange(limiter_, nullptr)->release(key_);
}

ConcurrencyLimiter::ConcurrencyLimiter() : state_(std::make_unique<State>()) {}
ConcurrencyLimiter::~ConcurrencyLimiter() = default;

std::optional<Slot> ConcurrencyLimiter::try_acquire(std::string_view key, int limit) {
  std::string k(key);
  std::lock_guard lock(state_->mu);
  int& count = state_->in_use[k];
  if (limit > 0 && count >= limit) {
    if (count == 0) state_->in_use.erase(k);
    return std::nullopt;
  }
  ++count;
  return Slot(this, std::move(k));
}

int ConcurrencyLimiter::in_use(std::string_view key) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->in_use.find(std::string(key));
  return it == state_->in_use.end() ? 0 : it->second;
}

void ConcurrencyLimiter::release(const std::string& key) {
  std::lock_guard lock(state_->mu);
  auto it = state_->in_use.find(key);
  if (it == state_->in_use.end()) return;
  if (--it->second <= 0) state_->in_use.erase(it);
}

}  // namespace latchkey::limits
