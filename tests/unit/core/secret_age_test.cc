#include "core/secret_age.h"

#include <gtest/gtest.h>

namespace latchkey {
namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
const Instant kCreated = from_unix_millis(1'700'000'000'000);

// Test that the age counts whole days and never goes negative.
TEST(SecretAge, AgeIsWholeDays) {
  EXPECT_EQ(SecretAgePolicy::age_days(kCreated, kCreated), 0);
  EXPECT_EQ(SecretAgePolicy::age_days(kCreated, kCreated + Duration(kDayMs - 1)), 0);
  EXPECT_EQ(SecretAgePolicy::age_days(kCreated, kCreated + Duration(kDayMs)), 1);
  EXPECT_EQ(SecretAgePolicy::age_days(kCreated, kCreated + Duration(90 * kDayMs + 5)), 90);
  EXPECT_EQ(SecretAgePolicy::age_days(kCreated, kCreated - Duration(kDayMs)), 0);
}

// Test that rotation is due exactly at max_age_days: false 1 ms before.
TEST(SecretAge, DueExactlyAtTheThreshold) {
  SecretAgePolicy policy;  // 90 days
  const Instant due = kCreated + Duration(90 * kDayMs);
  EXPECT_EQ(policy.due_at(kCreated), due);
  EXPECT_FALSE(policy.rotation_due(kCreated, due - Duration(1)));
  EXPECT_TRUE(policy.rotation_due(kCreated, due));
  EXPECT_TRUE(policy.rotation_due(kCreated, due + Duration(kDayMs)));
}

// Test that max_age_days 0 means never due.
TEST(SecretAge, ZeroMeansNeverDue) {
  SecretAgePolicy policy;
  policy.max_age_days = 0;
  EXPECT_FALSE(policy.due_at(kCreated));
  EXPECT_FALSE(policy.rotation_due(kCreated, kCreated + Duration(10'000 * kDayMs)));
}

// Test that the hard maximum refuses exactly at its age and is off at 0.
TEST(SecretAge, HardMaximum) {
  SecretAgePolicy policy;
  EXPECT_FALSE(policy.too_old(kCreated, kCreated + Duration(10'000 * kDayMs)));
  policy.hard_max_age_days = 120;
  const Instant limit = kCreated + Duration(120 * kDayMs);
  EXPECT_FALSE(policy.too_old(kCreated, limit - Duration(1)));
  EXPECT_TRUE(policy.too_old(kCreated, limit));
}

}  // namespace
}  // namespace latchkey
