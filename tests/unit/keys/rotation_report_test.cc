// The rotation report (keys/rotation_report.h, issue 14 item 3): rows and CSV.
#include "keys/rotation_report.h"

#include <gtest/gtest.h>

namespace latchkey::keys {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

const Instant kStart = from_unix_millis(1'800'000'000'000);

User user(std::string id, UserType type, bool disabled = false) {
  User u;
  u.id = id;
  u.name = "name-" + id;
  u.type = type;
  u.disabled = disabled;
  u.owner = type == UserType::kService ? "Team, Payments" : "";
  u.contact = type == UserType::kService ? "pay@example.com" : "";
  return u;
}

ClientCredential secret(std::string user_id, Instant created) {
  return ClientCredential{"cli_" + user_id, user_id, Digest{}, created};
}

ApiKey key(std::string id, std::string user_id, Instant created, Duration validity) {
  ApiKey k;
  k.id = std::move(id);
  k.user_id = std::move(user_id);
  k.name = "deploy";
  k.masked = "••••a1B9";
  k.created_at = created;
  k.expires_at = created + validity;
  return k;
}

// Test that the report lists exactly the due secrets (not 1 ms early, not of
// disabled users), due active keys and active keys expiring within
// key_expiring_soon_days, with owners of service accounts.
TEST(RotationReportTest, ListsDueSecretsAndKeysAndExpiringKeys) {
  SecretAgePolicy policy;  // 90 days due, 14 days window
  const Instant now = kStart + hours(24 * 90);
  const std::vector<User> users = {user("usr_a", UserType::kHuman),
                                   user("usr_s", UserType::kService),
                                   user("usr_off", UserType::kService, true)};
  const std::vector<ClientCredential> secrets = {
      secret("usr_a", kStart),                      // exactly due
      secret("usr_s", kStart + milliseconds(1)),    // 1 ms short
      secret("usr_off", kStart - hours(24 * 10))};  // due, but disabled
  ApiKey old_key = key("key_old", "usr_s", kStart, hours(24 * 365));
  ApiKey soon = key("key_soon", "usr_a", now - hours(24), hours(24 * 14));
  ApiKey off = key("key_off", "usr_a", kStart, hours(24 * 95));
  off.deactivated_at = kStart + hours(1);
  const auto rows = build_rotation_report(users, secrets, {old_key, soon, off}, now, policy);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].kind, RotationItemKind::kClientSecret);
  EXPECT_EQ(rows[0].client_id, "cli_usr_a");
  EXPECT_EQ(rows[0].age_days, 90);
  EXPECT_EQ(rows[0].due_since, now);
  EXPECT_EQ(rows[0].owner, "");
  EXPECT_EQ(rows[1].kind, RotationItemKind::kApiKey);
  EXPECT_EQ(rows[1].reason, RotationReason::kRotationDue);
  EXPECT_EQ(rows[1].key_id, "key_old");
  EXPECT_EQ(rows[1].owner, "Team, Payments");
  EXPECT_EQ(rows[1].contact, "pay@example.com");
  EXPECT_EQ(rows[2].reason, RotationReason::kExpiringSoon);
  EXPECT_EQ(rows[2].key_id, "key_soon");
  EXPECT_FALSE(rows[2].due_since);
  EXPECT_EQ(rows[2].expires_at, soon.expires_at);

  const std::string csv = rotation_report_csv(rows);
  EXPECT_TRUE(csv.starts_with(
      "kind,reason,user_id,user_name,owner,contact,client_id,key_id,key_name,masked_key,"
      "created_at,age_days,due_since,expires_at\r\n"));
  EXPECT_NE(csv.find("client_secret,rotation_due,usr_a,name-usr_a,,,cli_usr_a,,,," +
                     format_rfc3339(kStart) + ",90," + format_rfc3339(now) + ",\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("api_key,rotation_due,usr_s,name-usr_s,\"Team, Payments\",pay@example.com,,"
                     "key_old,deploy,••••a1B9,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("api_key,expiring_soon,usr_a,"), std::string::npos);
}

// Test that nothing is due with max age 0 and nothing expires soon with a
// window of 0 days.
TEST(RotationReportTest, ZeroTurnsEachPartOff) {
  SecretAgePolicy policy;
  policy.max_age_days = 0;
  policy.expiring_soon_days = 0;
  const Instant now = kStart + hours(24 * 1000);
  const auto rows =
      build_rotation_report({user("usr_a", UserType::kHuman)}, {secret("usr_a", kStart)},
                            {key("key_1", "usr_a", now - hours(1), hours(2))}, now, policy);
  EXPECT_TRUE(rows.empty());
}

}  // namespace
}  // namespace latchkey::keys
