// Per-key request and rejection counters on /metrics (docs/metrics.md)
// without unbounded label cardinality:
//
//   latchkey_key_requests_total{key_id, status_class}
//   latchkey_key_rejections_total{key_id, reason}
//
// Off unless metrics_top_keys > 0: /metrics needs no token, and a key_id
// label tells whoever can read it which keys exist.
//
// At most `top_n` keys are ever promoted to their own key_id, until restart:
// at each scrape, while fewer than top_n are promoted, the busiest keys not
// yet promoted (most requests since the start) take the free places; once
// top_n are promoted the set is fixed. A promoted key's series counts its
// requests from its promotion on; what it had before stays in
// key_id="other", which sums everything not counted by a promoted series.
// So every series only grows (Prometheus sees no counter reset), a series
// never disappears, the sum over key_id is the exact total, and at most
// top_n + 1 key_id values exist.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "usage/usage_counter.h"

namespace latchkey::usage {

inline constexpr const char* kKeyRequestsMetric = "latchkey_key_requests_total";
inline constexpr const char* kKeyRejectionsMetric = "latchkey_key_rejections_total";

// The series of both metrics at one scrape.
struct KeySeries {
  std::vector<metrics::LabelledValue> requests;    // {key_id, status_class}
  std::vector<metrics::LabelledValue> rejections;  // {key_id, reason}
};

// The promoted keys and what each had when promoted (tested without a
// registry). Thread-safe.
class KeySeriesSelector {
 public:
  explicit KeySeriesSelector(std::size_t top_n) : top_n_(top_n) {}

  // Promotes into free places (see above), then the series for `totals`.
  // The totals must be at least as recent as those of every earlier call.
  KeySeries series(std::vector<KeyTotals> totals);
  // The same for `counter`'s totals, read under the selector's lock, so
  // concurrent scrapes never compare a promotion with older totals.
  KeySeries series(const UsageCounter& counter);

 private:
  KeySeries series_locked(std::vector<KeyTotals> totals);  // REQUIRES(mu_)

  const std::size_t top_n_;
  std::mutex mu_;
  std::map<std::string, KeyTotals> promoted_;  // GUARDED_BY(mu_): totals at promotion
};

// Registers both metrics in `registry`, read from `counter` at each scrape.
// `counter` must outlive the registration (unregister_key_usage_metrics).
void register_key_usage_metrics(metrics::Registry& registry, const UsageCounter& counter,
                                std::size_t top_n);
void unregister_key_usage_metrics(metrics::Registry& registry);

}  // namespace latchkey::usage
