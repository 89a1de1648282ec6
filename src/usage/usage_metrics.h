// Per-key request and rejection counters on /metrics (docs/metrics.md)
// without unbounded label cardinality:
//
//   latchkey_key_requests_total{key_id, status_class}
//   latchkey_key_rejections_total{key_id, reason}
//
// Only the `top_n` keys with the most requests since the start get their own
// key_id; every other key is summed under key_id="other". The top N are
// chosen again at each scrape, so a key entering or leaving them moves its
// count between its own series and "other"; the sum over key_id is the
// exact total. At most top_n + 1 key_id values exist; top_n = 0: neither
// metric is exported.
#pragma once

#include <cstddef>
#include <vector>

#include "metrics/metrics.h"
#include "usage/usage_counter.h"

namespace latchkey::usage {

inline constexpr const char* kKeyRequestsMetric = "latchkey_key_requests_total";
inline constexpr const char* kKeyRejectionsMetric = "latchkey_key_rejections_total";

// The series of both metrics for `totals` (pure: tested without a registry).
struct KeySeries {
  std::vector<metrics::LabelledValue> requests;    // {key_id, status_class}
  std::vector<metrics::LabelledValue> rejections;  // {key_id, reason}
};
KeySeries key_series(std::vector<KeyTotals> totals, std::size_t top_n);

// Registers both metrics in `registry`, read from `counter` at each scrape.
// `counter` must outlive the registration (unregister_key_usage_metrics).
void register_key_usage_metrics(metrics::Registry& registry, const UsageCounter& counter,
                                std::size_t top_n);
void unregister_key_usage_metrics(metrics::Registry& registry);

}  // namespace latchkey::usage
