// UsageCounter: the in-memory side of usage per API key
// (docs/key-usage.md). The pipeline's usage stage calls record() once per
// answered request attributable to a key; the counts wait here, aggregated
// per (key, route, status class, UTC hour), until UsageService::flush()
// takes them into the store. Beside the pending counts it keeps each key's
// totals since the process started, for the per-key metrics.
//
// Hot path: record() hashes the key id to one of 16 shards and takes only
// that shard's mutex for a few map lookups; it allocates only the first
// time a (key, route, class, hour) is seen since the last flush.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/time.h"

namespace latchkey::usage {

inline constexpr std::size_t kStatusClasses = 4;  // 2xx, 3xx, 4xx, 5xx

// 0 for 2xx (and the rare 1xx), 1 for 3xx, 2 for 4xx, 3 for 5xx.
std::size_t status_class_index(int status);
std::string_view status_class_name(std::size_t index);  // "2xx" .. "5xx"

// The start of the UTC hour / day holding `at`.
Instant hour_start(Instant at);
Instant day_start(Instant at);

// Requests of one key on one route with one status class in one UTC hour,
// not yet in the store.
struct PendingCount {
  std::string key_id;
  std::string route;
  std::size_t status_class = 0;  // status_class_index()
  Instant hour;
  std::uint64_t count = 0;
};

// One key's counts since the process started (metrics).
struct KeyTotals {
  std::string key_id;
  std::array<std::uint64_t, kStatusClasses> requests{};
  std::vector<std::pair<std::string, std::uint64_t>> rejections;  // by reason
  std::uint64_t total() const;
};

class UsageCounter {
 public:
  UsageCounter() = default;
  UsageCounter(const UsageCounter&) = delete;
  UsageCounter& operator=(const UsageCounter&) = delete;

  // One answered request of `key_id` on `route` with `status` at `at`;
  // `rejection_reason` is set when latchkey refused it (429 rate_limited,
  // 403 from a decision, ...), empty otherwise.
  void record(std::string_view key_id, std::string_view route, int status,
              std::string_view rejection_reason, Instant at);

  // Every pending count, removed from memory (UsageService::flush()).
  std::vector<PendingCount> take_pending();
  // Puts counts back (a flush that failed), added to what came meanwhile.
  void restore(const std::vector<PendingCount>& counts);
  // The pending counts of one key, left in place (read-your-writes).
  std::vector<PendingCount> pending_of(std::string_view key_id) const;
  std::size_t pending_size() const;

  // Every key seen since the start, with its totals.
  std::vector<KeyTotals> totals() const;

 private:
  struct Bucket {
    std::string route;
    std::int64_t hour_ms = 0;
    std::size_t status_class = 0;
  };
  struct BucketView {
    std::string_view route;
    std::int64_t hour_ms = 0;
    std::size_t status_class = 0;
  };
  struct BucketHash {
    using is_transparent = void;
    std::size_t operator()(const BucketView& b) const;
    std::size_t operator()(const Bucket& b) const {
      return (*this)(BucketView{b.route, b.hour_ms, b.status_class});
    }
  };
  struct BucketEq {
    using is_transparent = void;
    static BucketView view(const Bucket& b) { return {b.route, b.hour_ms, b.status_class}; }
    static BucketView view(const BucketView& b) { return b; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      const BucketView x = view(a), y = view(b);
      return x.hour_ms == y.hour_ms && x.status_class == y.status_class && x.route == y.route;
    }
  };
  struct KeyState {
    std::array<std::uint64_t, kStatusClasses> requests{};
    std::vector<std::pair<std::string, std::uint64_t>> rejections;
    std::unordered_map<Bucket, std::uint64_t, BucketHash, BucketEq> pending;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, KeyState, StringHash, std::equal_to<>> keys;  // GUARDED_BY(mu)
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_of(std::string_view key_id) const;
  static void add_pending(KeyState& state, std::string_view route, std::int64_t hour_ms,
                          std::size_t status_class, std::uint64_t n);

  mutable std::array<Shard, kShards> shards_;
};

}  // namespace latchkey::usage
