// UsageStore: requests per API key, aggregated per hour and per day, by
// route and status class (docs/key-usage.md). Rows are counts, never
// requests: a flush adds to them (upsert), retention deletes old buckets.
//
// Same contract as store.h: domain operations, each atomic in the backend;
// a write returns once durable; every method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace latchkey {

enum class UsageGranularity { kHour, kDay };
std::string_view to_string(UsageGranularity granularity);  // "hour", "day"
std::optional<UsageGranularity> parse_usage_granularity(std::string_view text);

// One aggregated count: the requests of `key_id` on `route` ("METHOD
// pattern" or a gateway route's label, never a raw path) answered with a
// status of `status_class` ("2xx" .. "5xx") in the bucket starting at
// `bucket_start` (UTC hour or day).
struct UsageRow {
  std::string key_id;
  UsageGranularity granularity = UsageGranularity::kHour;
  Instant bucket_start;
  std::string route;
  std::string status_class;
  std::int64_t count = 0;
  bool operator==(const UsageRow&) const = default;
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;

  // Adds each row's count to the stored row of the same (key, granularity,
  // bucket, route, status class), creating it when absent; all rows in one
  // transaction (all or nothing).
  virtual Status add_usage(const std::vector<UsageRow>& rows) = 0;

  // The rows of `key_id` at `granularity` whose bucket starts in [from, to),
  // ordered by bucket_start, route, status_class.
  virtual Result<std::vector<UsageRow>> usage_of_key(std::string_view key_id,
                                                     UsageGranularity granularity, Instant from,
                                                     Instant to) = 0;

  // Deletes the rows of `granularity` whose bucket started before `before`;
  // returns how many.
  virtual Result<int> prune_usage(UsageGranularity granularity, Instant before) = 0;
};

}  // namespace latchkey
