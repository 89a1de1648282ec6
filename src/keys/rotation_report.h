// The rotation report (issue 14 item 3, GET /api/v1/reports/rotation,
// docs/secret-age.md): every Client Secret and active API key due for
// rotation, and every active key expiring within the policy's
// expiring_soon_days. Pure: the caller passes users, credentials, keys and
// the time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/secret_age.h"
#include "core/time.h"
#include "store/key_store.h"
#include "store/records.h"

namespace latchkey::keys {

enum class RotationItemKind { kClientSecret, kApiKey };
enum class RotationReason { kRotationDue, kExpiringSoon };

struct RotationReportRow {
  RotationItemKind kind = RotationItemKind::kClientSecret;
  RotationReason reason = RotationReason::kRotationDue;
  std::string user_id;
  std::string user_name;
  std::string owner;      // the service account's owner, "" for humans
  std::string contact;    // likewise
  std::string client_id;  // kClientSecret
  std::string key_id;     // kApiKey
  std::string key_name;
  std::string masked_key;
  Instant created_at;
  std::int64_t age_days = 0;
  std::optional<Instant> due_since;   // kRotationDue
  std::optional<Instant> expires_at;  // kApiKey
};

// Secrets of users that have one (disabled users left out: their secret
// cannot obtain tokens), then keys by creation; a key can appear twice (due
// and expiring soon).
std::vector<RotationReportRow> build_rotation_report(const std::vector<User>& users,
                                                     const std::vector<ClientCredential>& secrets,
                                                     const std::vector<ApiKey>& keys, Instant now,
                                                     const SecretAgePolicy& policy);

// "client_secret" / "api_key"; "rotation_due" / "expiring_soon".
std::string_view to_string(RotationItemKind kind);
std::string_view to_string(RotationReason reason);

// RFC 4180 CSV (as key_report_csv) with the header:
// kind,reason,user_id,user_name,owner,contact,client_id,key_id,key_name,
// masked_key,created_at,age_days,due_since,expires_at
std::string rotation_report_csv(const std::vector<RotationReportRow>& rows);

}  // namespace latchkey::keys
