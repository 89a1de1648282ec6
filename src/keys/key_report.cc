#include "keys/key_report.h"

#include <string_view>

#include "keys/key_service.h"

namespace latchkey::keys {

std::string csv_field(std::string_view text) {
  std::string value;
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) {
    value = "'";
  }
  value += text;
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

bool key_rotation_due(const ApiKey& key, Instant now, const SecretAgePolicy& policy) {
  return status_of(key, now) == KeyStatus::kActive && policy.rotation_due(key.created_at, now);
}

std::vector<KeyReportRow> build_key_report(const std::vector<ApiKey>& keys, Instant now,
                                           Duration expiry_window, const SecretAgePolicy& policy) {
  std::vector<KeyReportRow> rows;
  rows.reserve(keys.size());
  for (const ApiKey& key : keys) {
    KeyReportRow row;
    row.user_id = key.user_id;
    row.key_id = key.id;
    row.name = key.name;
    row.masked_key = key.masked;
    row.status = status_of(key, now);
    row.role_id = key.role_id;
    row.scope = scope_of(key);
    row.created_at = key.created_at;
    row.expires_at = key.expires_at;
    row.age_days =
        now > key.created_at
            ? std::chrono::duration_cast<std::chrono::hours>(now - key.created_at).count() / 24
            : 0;
    row.last_used_at = key.last_used_at;
    row.expiring_soon = expires_soon(key, now, expiry_window);
    row.rotation_due = key_rotation_due(key, now, policy);
    if (row.rotation_due) row.rotation_due_since = policy.due_at(key.created_at);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string key_report_csv(const std::vector<KeyReportRow>& rows) {
  std::string out =
      "user_id,key_id,name,masked_key,status,role,scope,created_at,expires_at,age_days,"
      "last_used_at,expiring_soon,rotation_due,rotation_due_since,owner,contact,"
      "account_expires_at\r\n";
  for (const KeyReportRow& row : rows) {
    out +=
        csv_field(row.user_id) + ',' + csv_field(row.key_id) + ',' + csv_field(row.name) + ',' +
        csv_field(row.masked_key) + ',' + std::string(to_string(row.status)) + ',' +
        csv_field(row.role_id) + ',' + row.scope + ',' + format_rfc3339(row.created_at) + ',' +
        format_rfc3339(row.expires_at) + ',' + std::to_string(row.age_days) + ',' +
        (row.last_used_at ? format_rfc3339(*row.last_used_at) : std::string()) + ',' +
        (row.expiring_soon ? "true" : "false") + ',' + (row.rotation_due ? "true" : "false") + ',' +
        (row.rotation_due_since ? format_rfc3339(*row.rotation_due_since) : std::string()) + ',' +
        csv_field(row.account_owner) + ',' + csv_field(row.account_contact) + ',' +
        (row.account_expires_at ? format_rfc3339(*row.account_expires_at) : std::string()) + "\r\n";
  }
  return out;
}

}  // namespace latchkey::keys
