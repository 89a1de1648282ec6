#include "limits/auth_throttle.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace latchkey::limits {
namespace {

struct Failures {
  int count = 0;
  Instant last_failure;
  Instant blocked_until;
};

using Table = std::unordered_map<std::string, Failures>;

Duration remaining(const Table& table, std::string_view id, Instant now) {
  if (id.empty()) return Duration::zero();
  auto it = table.find(std::string(id));
  if (it == table.end() || it->second.blocked_until <= now) return Duration::zero();
  return it->second.blocked_until - now;
}

}  // namespace

struct AuthThrottle::State {
  mutable std::mutex mu;
  Table by_client;                  // GUARDED_BY(mu)
  Table by_ip;                      // GUARDED_BY(mu)
  std::uint64_t failures_seen = 0;  // GUARDED_BY(mu), for periodic forgetting
};

AuthThrottle::AuthThrottle(const Clock& clock, AuthThrottleOptions options)
    : clock_(clock), options_(options), state_(std::make_unique<State>()) {}

AuthThrottle::~AuthThrottle() = default;

std::chrono::seconds AuthThrottle::wait_before(std::string_view client_id,
                                               std::string_view ip) const {
  const Instant now = clock_.now();
  std::lock_guard lock(state_->mu);
  const Duration wait =
      std::max(remaining(state_->by_client, client_id, now), remaining(state_->by_ip, ip, now));
  return std::chrono::ceil<std::chrono::seconds>(wait);
}

void AuthThrottle::failed(std::string_view client_id, std::string_view ip) {
  const Instant now = clock_.now();
  // Past `free` failures, each one doubles the delay: first_delay, 2x, 4x ...
  auto record = [&](Table& table, std::string_view id, int free) {
    if (id.empty()) return;
    Failures& f = table[std::string(id)];
    if (f.count > 0 && now - f.last_failure >= options_.forget_after) f = Failures{};
    ++f.count;
    f.last_failure = now;
    if (f.count <= free) return;
    const int doublings = std::min(f.count - free - 1, 30);
    const Duration delay = std::min<Duration>(
        std::chrono::duration_cast<Duration>(options_.first_delay) * (std::int64_t{1} << doublings),
        std::chrono::duration_cast<Duration>(options_.max_delay));
    f.blocked_until = now + delay;
  };
  std::lock_guard lock(state_->mu);
  record(state_->by_client, client_id, options_.client_free_failures);
  record(state_->by_ip, ip, options_.ip_free_failures);
  if (++state_->failures_seen % 1024 == 0) {
    for (Table* table : {&state_->by_client, &state_->by_ip}) {
      std::erase_if(*table, [&](const auto& entry) {
        return now - entry.second.last_failure >= options_.forget_after &&
               entry.second.blocked_until <= now;
      });
    }
  }
}

void AuthThrottle::succeeded(std::string_view client_id, std::string_view) {
  if (client_id.empty()) return;
  std::lock_guard lock(state_->mu);
  state_->by_client.erase(std::string(client_id));
}

}  // namespace latchkey::limits
