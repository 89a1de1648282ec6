#include "limits/auth_throttle.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace latchkey::limits {
namespace {

struct Entry {
  int failures = 0;  // confirmed wrong secrets since the last success / quiet period
  int pending = 0;   // attempts admitted whose outcome is not known yet
  Instant last_failure;
  Instant blocked_until;
  bool empty() const { return failures == 0 && pending == 0; }
};

using Table = std::unordered_map<std::string, Entry>;

Duration remaining(const Table& table, std::string_view id, Instant now) {
  if (id.empty()) return Duration::zero();
  auto it = table.find(std::string(id));
  if (it == table.end() || it->second.blocked_until <= now) return Duration::zero();
  return it->second.blocked_until - now;
}

// Attempts an identity may have in flight: unbounded while it has no
// standing failure (parallel logins with the right secret are never
// slowed); else what is left of its free failures, at least one.
bool over_budget(const Table& table, std::string_view id, int free) {
  if (id.empty()) return false;
  auto it = table.find(std::string(id));
  if (it == table.end() || it->second.failures == 0) return false;
  return it->second.pending >= std::max(1, free - it->second.failures);
}

void settle(Table& table, std::string_view id) {
  if (id.empty()) return;
  auto it = table.find(std::string(id));
  if (it == table.end()) return;
  if (it->second.pending > 0) --it->second.pending;
  if (it->second.empty()) table.erase(it);
}

}  // namespace

struct AuthThrottle::State {
  mutable std::mutex mu;
  Table by_client;                  // GUARDED_BY(mu)
  Table by_ip;                      // GUARDED_BY(mu)
  std::uint64_t attempts_seen = 0;  // GUARDED_BY(mu), for periodic forgetting
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
  std::lock_guard lock(state_->mu);
  // Failures are forgotten after a quiet period.
  for (auto [table, id] : {std::pair{&state_->by_client, client_id}, {&state_->by_ip, ip}}) {
    if (id.empty()) continue;
    auto it = table->find(std::string(id));
    if (it != table->end() && it->second.failures > 0 &&
        now - it->second.last_failure >= options_.forget_after && it->second.blocked_until <= now) {
      it->second.failures = 0;
    }
  }
  const Duration wait =
      std::max(remaining(state_->by_client, client_id, now), remaining(state_->by_ip, ip, now));
  if (wait > Duration::zero()) return std::chrono::ceil<std::chrono::seconds>(wait);
  if (over_budget(state_->by_client, client_id, options_.client_free_failures) ||
      over_budget(state_->by_ip, ip, options_.ip_free_failures)) {
    return options_.first_delay;
  }
  if (!client_id.empty()) ++state_->by_client[std::string(client_id)].pending;
  if (!ip.empty()) ++state_->by_ip[std::string(ip)].pending;
  if (++state_->attempts_seen % 1024 == 0) {
    for (Table* table : {&state_->by_client, &state_->by_ip}) {
      std::erase_if(*table, [&](const auto& entry) {
        const Entry& e = entry.second;
        return e.pending == 0 && e.blocked_until <= now &&
               now - e.last_failure >= options_.forget_after;
      });
    }
  }
  return std::chrono::seconds::zero();
}

void AuthThrottle::failed(std::string_view client_id, std::string_view ip) {
  const Instant now = clock_.now();
  // Past `free` failures, each one doubles the delay: first_delay, 2x, 4x ...
  auto record = [&](Table& table, std::string_view id, int free) {
    if (id.empty()) return;
    Entry& e = table[std::string(id)];
    if (e.pending > 0) --e.pending;
    ++e.failures;
    e.last_failure = now;
    if (e.failures <= free) return;
    const int doublings = std::min(e.failures - free - 1, 30);
    const Duration delay = std::min<Duration>(
        std::chrono::duration_cast<Duration>(options_.first_delay) * (std::int64_t{1} << doublings),
        std::chrono::duration_cast<Duration>(options_.max_delay));
    e.blocked_until = now + delay;
  };
  std::lock_guard lock(state_->mu);
  record(state_->by_client, client_id, options_.client_free_failures);
  record(state_->by_ip, ip, options_.ip_free_failures);
}

void AuthThrottle::succeeded(std::string_view client_id, std::string_view ip) {
  std::lock_guard lock(state_->mu);
  if (!client_id.empty()) {
    auto it = state_->by_client.find(std::string(client_id));
    if (it != state_->by_client.end()) {
      it->second.failures = 0;
      it->second.blocked_until = Instant{};
      settle(state_->by_client, client_id);
    }
  }
  // The IP's failures stand: one valid credential must not launder a run.
  settle(state_->by_ip, ip);
}

void AuthThrottle::refund(std::string_view client_id, std::string_view ip) {
  std::lock_guard lock(state_->mu);
  settle(state_->by_client, client_id);
  settle(state_->by_ip, ip);
}

}  // namespace latchkey::limits
