#include "limits/rate_limiter.h"

#include <array>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace latchkey::limits {
namespace {

// Whole seconds, rounded up: a client told "retry in 0 s" would retry early.
std::chrono::seconds ceil_seconds(Duration d) {
  return std::chrono::ceil<std::chrono::seconds>(d < Duration::zero() ? Duration::zero() : d);
}

// The sliding log: the instants of the admissions of the last window, oldest
// first. An admission at t counts in every window that contains t, so
// admitting only while fewer than `limit` instants lie within (now - window,
// now] is exact for every window, not an approximation.
class LocalRateLimiter final : public RateLimiter {
 public:
  LocalRateLimiter(const Clock& clock, std::chrono::seconds window)
      : clock_(clock), window_(window) {}

  RateLimitState admit(std::string_view key, int limit) override {
    RateLimitState state;
    state.limit = limit;
    if (limit <= 0) {
      state.admitted = true;
      return state;
    }
    const Instant now = clock_.now();
    Shard& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
    std::lock_guard lock(shard.mu);
    if (++shard.calls % kSweepEvery == 0) sweep(shard, now);
    auto& log = shard.logs[std::string(key)];
    trim(log, now);
    const auto limit_size = static_cast<std::size_t>(limit);
    state.admitted = log.size() < limit_size;
    if (state.admitted) log.push_back(now);
    // Nothing is forgotten when a limit is lowered: if it is raised again
    // within the window, the earlier admissions still count. The log is
    // bounded by the largest limit used within one window.
    state.remaining = log.size() < limit_size ? static_cast<int>(limit_size - log.size()) : 0;
    // One more unit is free when the admission that keeps the window full
    // leaves it: the oldest when there is room already, else the one at
    // size - limit (only the newest `limit` admissions matter).
    if (!log.empty()) {
      const std::size_t blocking = log.size() < limit_size ? 0 : log.size() - limit_size;
      state.reset = ceil_seconds(log[blocking] + window_ - now);
    }
    if (!state.admitted) state.retry_after = state.reset;
    return state;
  }

 private:
  static constexpr std::uint64_t kSweepEvery = 4096;

  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::deque<Instant>> logs;  // GUARDED_BY(mu)
    std::uint64_t calls = 0;                                    // GUARDED_BY(mu)
  };

  void trim(std::deque<Instant>& log, Instant now) const {
    while (!log.empty() && log.front() <= now - window_) log.pop_front();
  }

  // Forget keys with no admission in the last window.
  void sweep(Shard& shard, Instant now) const {
    for (auto it = shard.logs.begin(); it != shard.logs.end();) {
      trim(it->second, now);
      it = it->second.empty() ? shard.logs.erase(it) : std::next(it);
    }
  }

  const Clock& clock_;
  const Duration window_;
  std::array<Shard, 16> shards_;
};

}  // namespace

std::unique_ptr<RateLimiter> make_local_rate_limiter(const Clock& clock,
                                                     std::chrono::seconds window) {
  return std::make_unique<LocalRateLimiter>(clock, window);
}

}  // namespace latchkey::limits
