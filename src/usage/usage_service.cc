#include "usage/usage_service.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

namespace latchkey::usage {
namespace {

using RowKey = std::tuple<std::string, UsageGranularity, std::int64_t, std::string, std::string>;

void add(std::map<RowKey, std::int64_t>& rows, const std::string& key_id,
         UsageGranularity granularity, Instant bucket, const std::string& route,
         std::string_view status_class, std::int64_t n) {
  rows[RowKey{key_id, granularity, to_unix_millis(bucket), route, std::string(status_class)}] += n;
}

std::vector<UsageRow> to_rows(const std::map<RowKey, std::int64_t>& rows) {
  std::vector<UsageRow> out;
  out.reserve(rows.size());
  for (const auto& [k, n] : rows) {
    const auto& [key_id, granularity, bucket_ms, route, status_class] = k;
    out.push_back(
        UsageRow{key_id, granularity, from_unix_millis(bucket_ms), route, status_class, n});
  }
  return out;
}

Instant bucket_of(Instant hour, UsageGranularity granularity) {
  return granularity == UsageGranularity::kDay ? day_start(hour) : hour;
}

}  // namespace

std::vector<UsageRow> rows_of(const std::vector<PendingCount>& pending) {
  std::map<RowKey, std::int64_t> rows;
  for (const PendingCount& c : pending) {
    const auto n = static_cast<std::int64_t>(c.count);
    const std::string_view cls = status_class_name(c.status_class);
    add(rows, c.key_id, UsageGranularity::kHour, c.hour, c.route, cls, n);
    add(rows, c.key_id, UsageGranularity::kDay, day_start(c.hour), c.route, cls, n);
  }
  return to_rows(rows);
}

UsageService::UsageService(UsageStore& store, UsageCounter& counter, const Clock& clock,
                           UsageOptions options)
    : store_(store), counter_(counter), clock_(clock), options_(options) {}

Duration UsageService::daily_retention() const {
  return std::chrono::hours(24) * std::max(1, options_.retention_days);
}

Duration UsageService::hourly_retention() const {
  return std::min(daily_retention(),
                  Duration(std::chrono::hours(24) * std::max(1, options_.hourly_retention_days)));
}

Result<std::size_t> UsageService::flush() {
  std::unique_lock lock(flush_mu_);
  std::vector<PendingCount> pending = counter_.take_pending();
  if (pending.empty()) return std::size_t{0};
  const std::vector<UsageRow> rows = rows_of(pending);
  if (auto s = store_.add_usage(rows); !s) {
    // Usually nothing was written; if the commit's outcome was lost they
    // may be stored already and count twice (documented: at-least-once).
    counter_.restore(pending);
    return fail(s.error());
  }
  return rows.size();
}

Result<std::vector<UsageRow>> UsageService::usage_of_key(std::string_view key_id,
                                                         UsageGranularity granularity, Instant from,
                                                         Instant to) {
  std::shared_lock lock(flush_mu_);
  auto stored = store_.usage_of_key(key_id, granularity, from, to);
  if (!stored) return fail(stored.error());
  std::map<RowKey, std::int64_t> rows;
  const std::string id(key_id);
  for (const UsageRow& r : *stored) {
    add(rows, id, granularity, r.bucket_start, r.route, r.status_class, r.count);
  }
  for (const PendingCount& c : counter_.pending_of(key_id)) {
    const Instant bucket = bucket_of(c.hour, granularity);
    if (bucket < from || bucket >= to) continue;
    add(rows, id, granularity, bucket, c.route, status_class_name(c.status_class),
        static_cast<std::int64_t>(c.count));
  }
  return to_rows(rows);
}

Result<int> UsageService::maintain() {
  const Instant now = clock_.now();
  auto hourly = store_.prune_usage(UsageGranularity::kHour, hour_start(now - hourly_retention()));
  if (!hourly) return fail(hourly.error());
  auto daily = store_.prune_usage(UsageGranularity::kDay, day_start(now - daily_retention()));
  if (!daily) return fail(daily.error());
  return *hourly + *daily;
}

Result<int> UsageService::maintain_if_due() {
  std::lock_guard lock(maintain_mu_);
  const Instant hour = hour_start(clock_.now());
  if (last_maintained_hour_ && *last_maintained_hour_ == hour) return 0;
  auto pruned = maintain();
  if (pruned) last_maintained_hour_ = hour;
  return pruned;
}

}  // namespace latchkey::usage
