// The age policy of long-lived credentials (issue 14 item 3, docs/secret-age.md):
// a Client Secret's or an API key's age in whole days, when it becomes due
// for rotation (`secret_max_age_days`) and when it is too old to obtain
// tokens at all (`secret_hard_max_age_days`). Pure: the caller passes the
// time from the injected clock.
#pragma once

#include <cstdint>
#include <optional>

#include "core/time.h"

namespace latchkey {

struct SecretAgePolicy {
  std::int64_t max_age_days = 90;        // rotation due at this age; 0 = never due
  std::int64_t hard_max_age_days = 0;    // issuance refused at this age; 0 = off
  std::int64_t expiring_soon_days = 14;  // the rotation report's key window

  // Whole days from `created_at` to `now` (0 for a future creation time).
  static std::int64_t age_days(Instant created_at, Instant now);

  // The instant a credential created at `created_at` becomes due, or nullopt
  // when nothing is ever due (max_age_days 0).
  std::optional<Instant> due_at(Instant created_at) const;
  // True exactly when now >= due_at(created_at).
  bool rotation_due(Instant created_at, Instant now) const;
  // True when the hard maximum is set and now >= created_at + hard maximum.
  bool too_old(Instant created_at, Instant now) const;
  // created_at + the hard maximum: no token issued with the credential may
  // live past it; nullopt when the hard maximum is off.
  std::optional<Instant> hard_deadline(Instant created_at) const;
};

// The response header on token issuance with a credential that is due
// (its value: the RFC 3339 time it became due).
inline constexpr const char* kSecretRotationDueHeader = "Latchkey-Secret-Rotation-Due";

}  // namespace latchkey
