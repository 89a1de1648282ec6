// UsageService: usage per API key between memory and the store
// (docs/key-usage.md).
//
//   flush()          takes the counter's pending counts and adds them to the
//                    store as hourly and daily rows, in one transaction; on
//                    failure the counts go back to memory for the next flush.
//                    At-least-once: a write that committed but reported a
//                    failure (its outcome lost) is added again next time.
//   usage_of_key()   the stored rows merged with the counts not yet flushed
//                    (read-your-writes), so an answer is exact at once.
//   maintain()       deletes hourly rows older than the hourly retention and
//                    daily rows older than the retention.
//
// A flush and a read never interleave (one shared mutex), so a read sees
// each count exactly once: in the store or in memory, never both or none
// (barring a lost commit outcome, see flush()).
//
// Thread-safety: safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/usage_store.h"
#include "usage/usage_counter.h"

namespace latchkey::usage {

struct UsageOptions {
  int retention_days = 90;         // daily rows (usage_retention_days)
  int hourly_retention_days = 14;  // hourly rows; never longer than retention_days
};

class UsageService {
 public:
  UsageService(UsageStore& store, UsageCounter& counter, const Clock& clock,
               UsageOptions options = {});

  // Rows written (hourly + daily). Nothing pending: 0 without a store write.
  Result<std::size_t> flush();

  // Rows of `key_id` at `granularity` with buckets starting in [from, to),
  // stored and pending together, ordered by bucket, route, status class.
  Result<std::vector<UsageRow>> usage_of_key(std::string_view key_id, UsageGranularity granularity,
                                             Instant from, Instant to);

  // Prunes both granularities now. Returns rows deleted.
  Result<int> maintain();
  // maintain() when the clock has moved into another hour since the last
  // one (the flusher asks after each flush), else 0.
  Result<int> maintain_if_due();

  const UsageOptions& options() const { return options_; }
  // What the pipeline's usage stage records into.
  UsageCounter& counter() { return counter_; }
  Duration hourly_retention() const;
  Duration daily_retention() const;

 private:
  UsageStore& store_;
  UsageCounter& counter_;
  const Clock& clock_;
  UsageOptions options_;
  std::shared_mutex flush_mu_;  // exclusive: a flush; shared: a read
  std::mutex maintain_mu_;
  std::optional<Instant> last_maintained_hour_;  // GUARDED_BY(maintain_mu_)
};

// The store rows a flush writes for `pending`: per hour and per day, equal
// buckets summed.
std::vector<UsageRow> rows_of(const std::vector<PendingCount>& pending);

}  // namespace latchkey::usage
