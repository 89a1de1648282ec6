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

// Takes back one provisional failure of `id` and lifts its block. Nothing
// is counted while an identity is blocked, so a block is always the one its
// most recently counted attempt raised: normally the refunded attempt
// itself. (If a slower attempt is refunded after a newer one raised the
// block, that block is lifted too: one refund never buys more than the one
// admission it used, and the count, hence the next delay, keeps the newer
// failure.)
void refund_one(Table& table, std::string_view id) {
  if (id.empty()) return;
  auto it = table.find(std::string(id));
  if (it == table.end()) return;  // cleared meanwhile (a success, forgetting)
  Failures& f = it->second;
  if (f.count > 0) --f.count;
  f.blocked_until = Instant{};
  if (f.count == 0) table.erase(it);
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

std::chrono::seconds AuthThrottle::begin_attempt(std::string_view client_id, std::string_view ip) {
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
  const Duration wait =
      std::max(remaining(state_->by_client, client_id, now), remaining(state_->by_ip, ip, now));
  if (wait > Duration::zero()) return std::chrono::ceil<std::chrono::seconds>(wait);
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
  return std::chrono::seconds::zero();
}

void AuthThrottle::succeeded(std::string_view client_id, std::string_view ip) {
  std::lock_guard lock(state_->mu);
  if (!client_id.empty()) state_->by_client.erase(std::string(client_id));
  refund_one(state_->by_ip, ip);
}

void AuthThrottle::refund(std::string_view client_id, std::string_view ip) {
  std::lock_guard lock(state_->mu);
  refund_one(state_->by_client, client_id);
  refund_one(state_->by_ip, ip);
}

}  // namespace latchkey::limits
