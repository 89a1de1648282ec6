// The admin API key report (seed 002, "Export Account API Key"): one row per
// key with the user id, the masked key, status, key age and last use, plus
// whether it expires soon. Pure: no I/O; the caller passes the keys (with
// their last use merged, see KeyService::report) and the time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
};

std::vector<KeyReportRow> build_key_report(const std::vector<ApiKey>& keys, Instant now,
                                           Duration expiry_window);

// RFC 4180 CSV with a header line:
// user_id,key_id,name,masked_key,status,role,scope,created_at,expires_at,
// age_days,last_used_at,expiring_soon
// Lines end with CRLF; fields with a comma, quote or line break are quoted.
// A field starting with = + - @ is prefixed with ' (spreadsheet formula
// injection).
std::string key_report_csv(const std::vector<KeyReportRow>& rows);

// "read" for a read-only key, else "write".
inline std::string scope_of(const ApiKey& key) { return key.read_only ? "read" : "write"; }

}  // namespace latchkey::keys
