#include "limits/concurrency_limiter.h"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace latchkey::limits {
namespace {

class LocalConcurrencyLimiter final : public ConcurrencyLimiter {
 public:
  SlotAcquisition acquire(std::string_view key, int limit) override {
    std::string k(key);
    std::lock_guard lock(mu_);
    int& count = in_use_[k];
    if (limit > 0 && count >= limit) {
      if (count == 0) in_use_.erase(k);
      return {SlotOutcome::kRefused, Slot()};
    }
    ++count;
    return {SlotOutcome::kAcquired, make_slot(std::move(k))};
  }

  int in_use(std::string_view key) const override {
    std::lock_guard lock(mu_);
    auto it = in_use_.find(std::string(key));
    return it == in_use_.end() ? 0 : it->second;
  }

 protected:
  void release_slot(const std::string& key, const std::string& /*lease*/) override {
    std::lock_guard lock(mu_);
    auto it = in_use_.find(key);
    if (it == in_use_.end()) return;
    if (--it->second <= 0) in_use_.erase(it);
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> in_use_;  // GUARDED_BY(mu_); no entry when 0
};

}  // namespace

Slot::Slot(Slot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)),
      key_(std::move(other.key_)),
      lease_(std::move(other.lease_)) {}

Slot& Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    key_ = std::move(other.key_);
    lease_ = std::move(other.lease_);
  }
  return *this;
}

Slot::~Slot() { release(); }

void Slot::release() {
  if (limiter_ == nullptr) return;
  std::exchange(limiter_, nullptr)->release_slot(key_, lease_);
}

std::optional<Slot> ConcurrencyLimiter::try_acquire(std::string_view key, int limit) {
  SlotAcquisition got = acquire(key, limit);
  if (got.outcome != SlotOutcome::kAcquired) return std::nullopt;
  return std::move(got.slot);
}

std::unique_ptr<ConcurrencyLimiter> make_local_concurrency_limiter() {
  return std::make_unique<LocalConcurrencyLimiter>();
}

}  // namespace latchkey::limits
