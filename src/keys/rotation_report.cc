#include "keys/rotation_report.h"

#include <map>

#include "keys/key_report.h"
#include "keys/key_service.h"

namespace latchkey::keys {
namespace {

std::string time_or_empty(const std::optional<Instant>& at) {
  return at ? format_rfc3339(*at) : std::string();
}

}  // namespace

std::string_view to_string(RotationItemKind kind) {
  return kind == RotationItemKind::kClientSecret ? "client_secret" : "api_key";
}

std::string_view to_string(RotationReason reason) {
  return reason == RotationReason::kRotationDue ? "rotation_due" : "expiring_soon";
}

std::vector<RotationReportRow> build_rotation_report(const std::vector<User>& users,
                                                     const std::vector<ClientCredential>& secrets,
                                                     const std::vector<ApiKey>& keys, Instant now,
                                                     const SecretAgePolicy& policy) {
  std::map<std::string, const User*, std::less<>> by_id;
  for (const User& user : users) by_id[user.id] = &user;
  const auto owned_row = [&](RotationItemKind kind, RotationReason reason,
                             const std::string& user_id, Instant created_at) {
    RotationReportRow row;
    row.kind = kind;
    row.reason = reason;
    row.user_id = user_id;
    if (auto it = by_id.find(user_id); it != by_id.end()) {
      row.user_name = it->second->name;
      if (it->second->type == UserType::kService) {
        row.owner = it->second->owner;
        row.contact = it->second->contact;
      }
    }
    row.created_at = created_at;
    row.age_days = SecretAgePolicy::age_days(created_at, now);
    return row;
  };

  std::vector<RotationReportRow> rows;
  for (const ClientCredential& secret : secrets) {
    auto it = by_id.find(secret.user_id);
    if (it == by_id.end() || it->second->disabled) continue;
    if (!policy.rotation_due(secret.created_at, now)) continue;
    RotationReportRow row = owned_row(RotationItemKind::kClientSecret, RotationReason::kRotationDue,
                                      secret.user_id, secret.created_at);
    row.client_id = secret.client_id;
    row.due_since = policy.due_at(secret.created_at);
    rows.push_back(std::move(row));
  }
  const Duration window = std::chrono::hours(24 * policy.expiring_soon_days);
  for (const ApiKey& key : keys) {
    const auto key_row = [&](RotationReason reason) {
      RotationReportRow row =
          owned_row(RotationItemKind::kApiKey, reason, key.user_id, key.created_at);
      row.key_id = key.id;
      row.key_name = key.name;
      row.masked_key = key.masked;
      row.expires_at = key.expires_at;
      return row;
    };
    if (key_rotation_due(key, now, policy)) {
      RotationReportRow row = key_row(RotationReason::kRotationDue);
      row.due_since = policy.due_at(key.created_at);
      rows.push_back(std::move(row));
    }
    if (policy.expiring_soon_days > 0 && expires_soon(key, now, window)) {
      rows.push_back(key_row(RotationReason::kExpiringSoon));
    }
  }
  return rows;
}

std::string rotation_report_csv(const std::vector<RotationReportRow>& rows) {
  std::string out =
      "kind,reason,user_id,user_name,owner,contact,client_id,key_id,key_name,masked_key,"
      "created_at,age_days,due_since,expires_at\r\n";
  for (const RotationReportRow& row : rows) {
    out += std::string(to_string(row.kind)) + ',' + std::string(to_string(row.reason)) + ',' +
           csv_field(row.user_id) + ',' + csv_field(row.user_name) + ',' + csv_field(row.owner) +
           ',' + csv_field(row.contact) + ',' + csv_field(row.client_id) + ',' +
           csv_field(row.key_id) + ',' + csv_field(row.key_name) + ',' + csv_field(row.masked_key) +
           ',' + format_rfc3339(row.created_at) + ',' + std::to_string(row.age_days) + ',' +
           time_or_empty(row.due_since) + ',' + time_or_empty(row.expires_at) + "\r\n";
  }
  return out;
}

}  // namespace latchkey::keys
