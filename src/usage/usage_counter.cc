#include "usage/usage_counter.h"

#include <algorithm>
#include <chrono>

namespace latchkey::usage {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;

std::int64_t floor_to(std::int64_t ms, std::int64_t unit) {
  const std::int64_t r = ms % unit;
  return r < 0 ? ms - r - unit : ms - r;
}

}  // namespace

std::size_t status_class_index(int status) {
  if (status < 300) return 0;
  if (status < 400) return 1;
  if (status < 500) return 2;
  return 3;
}

std::string_view status_class_name(std::size_t index) {
  static constexpr std::array<std::string_view, kStatusClasses> kNames = {"2xx", "3xx", "4xx",
                                                                          "5xx"};
  return kNames[std::min(index, kStatusClasses - 1)];
}

Instant hour_start(Instant at) { return from_unix_millis(floor_to(to_unix_millis(at), kHourMs)); }
Instant day_start(Instant at) { return from_unix_millis(floor_to(to_unix_millis(at), kDayMs)); }

std::uint64_t KeyTotals::total() const {
  std::uint64_t n = 0;
  for (std::uint64_t r : requests) n += r;
  return n;
}

std::size_t UsageCounter::BucketHash::operator()(const BucketView& b) const {
  std::size_t h = std::hash<std::string_view>{}(b.route);
  h ^= std::hash<std::int64_t>{}(b.hour_ms) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h ^ (b.status_class * 0x85ebca6bULL);
}

UsageCounter::Shard& UsageCounter::shard_of(std::string_view key_id) const {
  return shards_[std::hash<std::string_view>{}(key_id) % kShards];
}

void UsageCounter::add_pending(KeyState& state, std::string_view route, std::int64_t hour_ms,
                               std::size_t status_class, std::uint64_t n) {
  const BucketView view{route, hour_ms, status_class};
  if (auto it = state.pending.find(view); it != state.pending.end()) {
    it->second += n;
    return;
  }
  state.pending.emplace(Bucket{std::string(route), hour_ms, status_class}, n);
}

void UsageCounter::record(std::string_view key_id, std::string_view route, int status,
                          std::string_view rejection_reason, Instant at) {
  const std::size_t cls = status_class_index(status);
  const std::int64_t hour_ms = floor_to(to_unix_millis(at), kHourMs);
  Shard& shard = shard_of(key_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key_id);
  if (it == shard.keys.end()) it = shard.keys.emplace(std::string(key_id), KeyState{}).first;
  KeyState& state = it->second;
  ++state.requests[cls];
  if (!rejection_reason.empty()) {
    auto r = std::find_if(state.rejections.begin(), state.rejections.end(),
                          [&](const auto& p) { return p.first == rejection_reason; });
    if (r == state.rejections.end()) {
      state.rejections.emplace_back(std::string(rejection_reason), 1);
    } else {
      ++r->second;
    }
  }
  add_pending(state, route, hour_ms, cls, 1);
}

std::vector<PendingCount> UsageCounter::take_pending() {
  std::vector<PendingCount> out;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (auto& [key_id, state] : shard.keys) {
      for (auto& [bucket, n] : state.pending) {
        out.push_back(PendingCount{key_id, bucket.route, bucket.status_class,
                                   from_unix_millis(bucket.hour_ms), n});
      }
      state.pending.clear();
    }
  }
  return out;
}

void UsageCounter::restore(const std::vector<PendingCount>& counts) {
  for (const PendingCount& c : counts) {
    Shard& shard = shard_of(c.key_id);
    std::lock_guard lock(shard.mu);
    auto it = shard.keys.find(std::string_view(c.key_id));
    if (it == shard.keys.end()) it = shard.keys.emplace(c.key_id, KeyState{}).first;
    add_pending(it->second, c.route, to_unix_millis(c.hour), c.status_class, c.count);
  }
}

std::vector<PendingCount> UsageCounter::pending_of(std::string_view key_id) const {
  std::vector<PendingCount> out;
  Shard& shard = shard_of(key_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key_id);
  if (it == shard.keys.end()) return out;
  for (const auto& [bucket, n] : it->second.pending) {
    out.push_back(PendingCount{std::string(key_id), bucket.route, bucket.status_class,
                               from_unix_millis(bucket.hour_ms), n});
  }
  return out;
}

std::size_t UsageCounter::pending_size() const {
  std::size_t n = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [key_id, state] : shard.keys) n += state.pending.size();
  }
  return n;
}

std::vector<KeyTotals> UsageCounter::totals() const {
  std::vector<KeyTotals> out;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [key_id, state] : shard.keys) {
      out.push_back(KeyTotals{key_id, state.requests, state.rejections});
    }
  }
  return out;
}

}  // namespace latchkey::usage
