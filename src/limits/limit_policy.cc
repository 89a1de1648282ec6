#include "limits/limit_policy.h"

#include <utility>

#include "metrics/metrics.h"

namespace latchkey::limits {
namespace {

void apply(KeyLimits& limits, const LimitOverride& over) {
  if (over.requests_per_minute) limits.requests_per_minute = *over.requests_per_minute;
  if (over.concurrent_per_route) limits.concurrent_per_route = *over.concurrent_per_route;
}

}  // namespace

ConfiguredLimitPolicy::ConfiguredLimitPolicy(
    KeyLimits defaults, std::map<std::string, LimitOverride, std::less<>> roles,
    KeyOverrideLookup key_overrides)
    : defaults_(defaults), roles_(std::move(roles)), key_overrides_(std::move(key_overrides)) {}

KeyLimits ConfiguredLimitPolicy::for_key(std::string_view key_id, std::string_view role_id) const {
  KeyLimits limits = defaults_;
  if (!role_id.empty()) {
    if (auto it = roles_.find(role_id); it != roles_.end()) apply(limits, it->second);
  }
  if (key_overrides_) {
    if (auto over = key_overrides_(key_id)) apply(limits, *over);
  }
  return limits;
}

void count_rejection(std::string_view limit) {
  static auto& family = metrics::default_registry().counter_family(
      "latchkey_limit_rejections_total", "Requests refused by a limit.", {"limit"});
  // The three known limits keep their child; anything else looks it up.
  static metrics::Counter& rate = family.with({"rate"});
  static metrics::Counter& concurrency = family.with({"concurrency"});
  static metrics::Counter& auth_throttle = family.with({"auth_throttle"});
  if (limit == "rate") {
    rate.inc();
  } else if (limit == "concurrency") {
    concurrency.inc();
  } else if (limit == "auth_throttle") {
    auth_throttle.inc();
  } else {
    family.with({limit}).inc();
  }
}

void count_unavailable(bool admitted) {
  static auto& family = metrics::default_registry().counter_family(
      "latchkey_limits_unavailable_total",
      "Requests that needed a limit decision while the limits backend (Redis) was unreachable.",
      {"outcome"});
  static metrics::Counter& refused = family.with({"refused"});
  static metrics::Counter& fail_open = family.with({"admitted"});
  (admitted ? fail_open : refused).inc();
}

}  // namespace latchkey::limits
