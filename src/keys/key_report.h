// The admin API key report (seed 002, "Export Account API Key"): one row per
// key with the user id, the masked key, status, key age and last use, plus
// whether it expires soon. Pure: no I/O; the caller passes the keys (with
// their last use merged, see KeyService::report) and the time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret_age.h"
#include "core/time.h"
#include "store/key_store.h"

namespace latchkey::keys {

struct KeyReportRow {
  std::string user_id;
  std::string key_id;
  std::string name;
  std::string masked_key;
  KeyStatus status = KeyStatus::kActive;
  std::string role_id;
  std::string scope;  // "read" or "write"
  Instant created_at;
  Instant expires_at;
  std::int64_t age_days = 0;  // whole days since creation
  std::optional<Instant> last_used_at;
  bool expiring_soon = false;  // active and expires within the warning window
  // Issue 14 (docs/secret-age.md): active and at least secret_max_age_days
  // old; since when.
  bool rotation_due = false;
  std::optional<Instant> rotation_due_since;
  // The owning service account's owner, contact and expiry (filled by the
  // caller, who knows the users; empty for humans).
  std::string account_owner;
  std::string account_contact;
  std::optional<Instant> account_expires_at;
};

std::vector<KeyReportRow> build_key_report(const std::vector<ApiKey>& keys, Instant now,
                                           Duration expiry_window,
                                           const SecretAgePolicy& policy = SecretAgePolicy{});

// Whether an API key is due for rotation: active and old enough.
bool key_rotation_due(const ApiKey& key, Instant now, const SecretAgePolicy& policy);

// RFC 4180 CSV with a header line:
// user_id,key_id,name,masked_key,status,role,scope,created_at,expires_at,
// age_days,last_used_at,expiring_soon,rotation_due,rotation_due_since,
// owner,contact,account_expires_at (the last five appended by issue 14)
// Lines end with CRLF; fields with a comma, quote or line break are quoted.
// A field starting with = + - @ is prefixed with ' (spreadsheet formula
// injection).
std::string key_report_csv(const std::vector<KeyReportRow>& rows);

// One CSV field as key_report_csv writes it (quoted when needed, formula
// prefixes defused).
std::string csv_field(std::string_view text);

// "read" for a read-only key, else "write".
inline std::string scope_of(const ApiKey& key) { return key.read_only ? "read" : "write"; }

}  // namespace latchkey::keys
