#include "usage/usage_metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace latchkey::usage {

KeySeries key_series(std::vector<KeyTotals> totals, std::size_t top_n) {
  KeySeries out;
  if (top_n == 0) return out;
  // Most requests first; ties by key id, so the choice is stable.
  std::sort(totals.begin(), totals.end(), [](const KeyTotals& a, const KeyTotals& b) {
    const auto ta = a.total(), tb = b.total();
    return ta != tb ? ta > tb : a.key_id < b.key_id;
  });
  std::array<std::uint64_t, kStatusClasses> other_requests{};
  std::map<std::string, std::uint64_t> other_rejections;
  bool any_other = false;
  for (std::size_t i = 0; i < totals.size(); ++i) {
    const KeyTotals& t = totals[i];
    if (i < top_n) {
      for (std::size_t c = 0; c < kStatusClasses; ++c) {
        if (t.requests[c] == 0) continue;
        out.requests.push_back(
            {{t.key_id, std::string(status_class_name(c))}, static_cast<double>(t.requests[c])});
      }
      auto reasons = t.rejections;
      std::sort(reasons.begin(), reasons.end());
      for (const auto& [reason, n] : reasons) {
        out.rejections.push_back({{t.key_id, reason}, static_cast<double>(n)});
      }
      continue;
    }
    any_other = true;
    for (std::size_t c = 0; c < kStatusClasses; ++c) other_requests[c] += t.requests[c];
    for (const auto& [reason, n] : t.rejections) other_rejections[reason] += n;
  }
  if (any_other) {
    for (std::size_t c = 0; c < kStatusClasses; ++c) {
      if (other_requests[c] == 0) continue;
      out.requests.push_back(
          {{"other", std::string(status_class_name(c))}, static_cast<double>(other_requests[c])});
    }
    for (const auto& [reason, n] : other_rejections) {
      out.rejections.push_back({{"other", reason}, static_cast<double>(n)});
    }
  }
  return out;
}

void register_key_usage_metrics(metrics::Registry& registry, const UsageCounter& counter,
                                std::size_t top_n) {
  if (top_n == 0) return;
  registry.counter_family_callback(
      kKeyRequestsMetric,
      "Requests attributable to an API key (its exchanges and its tokens' requests), by status "
      "class; the top metrics_top_keys keys by requests, the others summed as key_id=\"other\".",
      {"key_id", "status_class"},
      [&counter, top_n] { return key_series(counter.totals(), top_n).requests; });
  registry.counter_family_callback(
      kKeyRejectionsMetric,
      "Requests of an API key that latchkey refused, by reason; the same keys as "
      "latchkey_key_requests_total, the others summed as key_id=\"other\".",
      {"key_id", "reason"},
      [&counter, top_n] { return key_series(counter.totals(), top_n).rejections; });
}

void unregister_key_usage_metrics(metrics::Registry& registry) {
  registry.remove_callback(kKeyRequestsMetric);
  registry.remove_callback(kKeyRejectionsMetric);
}

}  // namespace latchkey::usage
