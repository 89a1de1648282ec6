#include "usage/usage_metrics.h"

#include <algorithm>
#include <array>
#include <utility>

namespace latchkey::usage {
namespace {

std::uint64_t rejections_of(const KeyTotals& t, const std::string& reason) {
  for (const auto& [r, n] : t.rejections) {
    if (r == reason) return n;
  }
  return 0;
}

}  // namespace

KeySeries KeySeriesSelector::series(std::vector<KeyTotals> totals) {
  std::lock_guard lock(mu_);
  return series_locked(std::move(totals));
}

KeySeries KeySeriesSelector::series(const UsageCounter& counter) {
  std::lock_guard lock(mu_);
  return series_locked(counter.totals());
}

KeySeries KeySeriesSelector::series_locked(std::vector<KeyTotals> totals) {
  KeySeries out;
  if (top_n_ == 0) return out;
  // Most requests first; ties by key id, so the choice is stable.
  std::sort(totals.begin(), totals.end(), [](const KeyTotals& a, const KeyTotals& b) {
    const auto ta = a.total(), tb = b.total();
    return ta != tb ? ta > tb : a.key_id < b.key_id;
  });
  for (const KeyTotals& t : totals) {
    if (promoted_.size() >= top_n_) break;
    if (t.total() > 0) promoted_.emplace(t.key_id, t);  // no-op when already promoted
  }
  // "other": every key not promoted, plus each promoted key's counts from
  // before its promotion. Grows only, as each part does.
  std::array<std::uint64_t, kStatusClasses> other_requests{};
  std::map<std::string, std::uint64_t> other_rejections;
  // Non-empty once any key was used: a promoted key's earlier requests
  // are in it from its promotion on.
  const bool any_other = !totals.empty();
  for (const KeyTotals& t : totals) {
    const auto p = promoted_.find(t.key_id);
    const KeyTotals* base = p == promoted_.end() ? nullptr : &p->second;
    const KeyTotals& counted_in_other = base != nullptr ? *base : t;
    for (std::size_t c = 0; c < kStatusClasses; ++c) {
      other_requests[c] += counted_in_other.requests[c];
      if (base != nullptr && t.requests[c] > 0) {
        out.requests.push_back({{t.key_id, std::string(status_class_name(c))},
                                static_cast<double>(t.requests[c] - base->requests[c])});
      }
    }
    for (const auto& [reason, n] : counted_in_other.rejections) other_rejections[reason] += n;
    if (base != nullptr) {
      auto reasons = t.rejections;
      std::sort(reasons.begin(), reasons.end());
      for (const auto& [reason, n] : reasons) {
        out.rejections.push_back(
            {{t.key_id, reason}, static_cast<double>(n - rejections_of(*base, reason))});
      }
    }
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
  // Both metrics share one selector: the same keys are promoted on both.
  auto selector = std::make_shared<KeySeriesSelector>(top_n);
  registry.counter_family_callback(
      kKeyRequestsMetric,
      "Requests attributable to an API key (its exchanges and its tokens' requests), by status "
      "class; at most metrics_top_keys keys have their own key_id, counted from their "
      "promotion; everything else is key_id=\"other\".",
      {"key_id", "status_class"},
      [&counter, selector] { return selector->series(counter).requests; });
  registry.counter_family_callback(
      kKeyRejectionsMetric,
      "Requests of an API key that latchkey refused, by reason; the same keys as "
      "latchkey_key_requests_total, everything else key_id=\"other\".",
      {"key_id", "reason"}, [&counter, selector] { return selector->series(counter).rejections; });
}

void unregister_key_usage_metrics(metrics::Registry& registry) {
  registry.remove_callback(kKeyRequestsMetric);
  registry.remove_callback(kKeyRejectionsMetric);
}

}  // namespace latchkey::usage
