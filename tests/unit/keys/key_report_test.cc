// The admin API key report (keys/key_report.h, seed 002): rows and CSV.
#include "keys/key_report.h"

#include <gtest/gtest.h>

#include "keys/key_service.h"

namespace latchkey::keys {
namespace {

using std::chrono::hours;

ApiKey key(std::string id, Instant created, int days) {
  ApiKey k;
  k.id = std::move(id);
  k.user_id = "usr_alice";
  k.name = "deploy, prod";
  k.masked = "••••a1B9";
  k.created_at = created;
  k.expires_at = created + hours(24) * days;
  return k;
}

// Test that each row carries user id, masked key, status, age, last use and
// the expiring-soon flag.
TEST(KeyReportTest, RowsCarrySeedFields) {
  const Instant now = from_unix_millis(1'800'000'000'000);
  ApiKey fresh = key("key_fresh", now - hours(24) * 3, 365);
  fresh.last_used_at = now - hours(1);
  ApiKey soon = key("key_soon", now - hours(24) * 20, 30);
  ApiKey off = key("key_off", now - hours(24) * 20, 30);
  off.deactivated_at = now - hours(2);
  ApiKey old = key("key_old", now - hours(24) * 40, 30);

  const auto rows = build_key_report({fresh, soon, off, old}, now, hours(24 * 14));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].user_id, "usr_alice");
  EXPECT_EQ(rows[0].masked_key, "••••a1B9");
  EXPECT_EQ(rows[0].status, KeyStatus::kActive);
  EXPECT_EQ(rows[0].age_days, 3);
  EXPECT_EQ(rows[0].last_used_at, now - hours(1));
  EXPECT_FALSE(rows[0].expiring_soon);
  EXPECT_TRUE(rows[1].expiring_soon);
  EXPECT_EQ(rows[2].status, KeyStatus::kInactive);
  EXPECT_FALSE(rows[2].expiring_soon);
  EXPECT_EQ(rows[3].status, KeyStatus::kExpired);
  EXPECT_FALSE(rows[3].last_used_at);
}

// Test the CSV: header, quoting of commas, formula-injection guard, empty
// last use.
TEST(KeyReportTest, CsvIsQuotedAndSafe) {
  const Instant now = from_unix_millis(1'800'000'000'000);
  ApiKey k = key("key_1", now, 30);
  ApiKey formula = key("key_2", now, 30);
  formula.name = "=HYPERLINK(\"x\")";
  const std::string csv = key_report_csv(build_key_report({k, formula}, now, hours(24 * 14)));
  EXPECT_TRUE(csv.starts_with(
      "user_id,key_id,name,masked_key,status,role,scope,created_at,expires_at,age_days,"
      "last_used_at,expiring_soon,rotation_due,rotation_due_since,owner,contact,"
      "account_expires_at\r\n"));
  EXPECT_NE(csv.find("usr_alice,key_1,\"deploy, prod\",••••a1B9,active,,write,"),
            std::string::npos);
  EXPECT_NE(csv.find(",0,,false,false,,,,\r\n"), std::string::npos);
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos);
}

// Test that an active key is rotation_due exactly at secret_max_age_days
// (false 1 ms before), that inactive keys never are, and that the CSV
// appends the new columns after the old ones.
TEST(KeyReportTest, RotationDueAtTheThreshold) {
  const Instant created = from_unix_millis(1'800'000'000'000);
  const Instant due = created + hours(24 * 90);
  SecretAgePolicy policy;  // 90 days
  ApiKey k = key("key_1", created, 365);
  ApiKey off = key("key_2", created, 365);
  off.deactivated_at = created + hours(1);
  auto before =
      build_key_report({k, off}, due - std::chrono::milliseconds(1), hours(24 * 14), policy);
  EXPECT_FALSE(before[0].rotation_due);
  EXPECT_EQ(before[0].age_days, 89);
  auto at = build_key_report({k, off}, due, hours(24 * 14), policy);
  EXPECT_TRUE(at[0].rotation_due);
  EXPECT_EQ(at[0].age_days, 90);
  EXPECT_EQ(at[0].rotation_due_since, due);
  EXPECT_FALSE(at[1].rotation_due);
  at[0].account_owner = "Team, Payments";
  const std::string csv = key_report_csv({at[0]});
  EXPECT_NE(csv.find(",90,,false,true," + format_rfc3339(due) + ",\"Team, Payments\",,\r\n"),
            std::string::npos)
      << csv;
  policy.max_age_days = 0;
  EXPECT_FALSE(build_key_report({k}, due + hours(24 * 1000), hours(1), policy)[0].rotation_due);
}

}  // namespace
}  // namespace latchkey::keys
