#include "core/secret_age.h"

#include <chrono>

namespace latchkey {
namespace {

constexpr Duration days(std::int64_t n) {
  return std::chrono::duration_cast<Duration>(std::chrono::hours(24 * n));
}

}  // namespace

std::int64_t SecretAgePolicy::age_days(Instant created_at, Instant now) {
  if (now <= created_at) return 0;
  return std::chrono::duration_cast<std::chrono::hours>(now - created_at).count() / 24;
}

std::optional<Instant> SecretAgePolicy::due_at(Instant created_at) const {
  if (max_age_days <= 0) return std::nullopt;
  return created_at + days(max_age_days);
}

bool SecretAgePolicy::rotation_due(Instant created_at, Instant now) const {
  const auto due = due_at(created_at);
  return due && now >= *due;
}

std::optional<Instant> SecretAgePolicy::hard_deadline(Instant created_at) const {
  if (hard_max_age_days <= 0) return std::nullopt;
  return created_at + days(hard_max_age_days);
}

bool SecretAgePolicy::too_old(Instant created_at, Instant now) const {
  return hard_max_age_days > 0 && now >= created_at + days(hard_max_age_days);
}

}  // namespace latchkey
