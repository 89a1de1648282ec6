#include "audit/audit_format.h"

namespace latchkey::audit {

nlohmann::json event_to_json(const AuditEvent& event) {
  return nlohmann::json{{"id", event.id},
                        {"at", format_rfc3339(event.at)},
                        {"principal_id", event.principal_id},
                        {"principal_name", event.principal_name},
                        {"credential", event.credential},
                        {"action", event.action},
                        {"resource", event.resource},
                        {"decision", to_string(event.decision)},
                        {"reason", event.reason},
                        {"client_ip", event.client_ip},
                        {"user_agent", event.user_agent},
                        {"integration", event.integration},
                        {"count", event.count}};
}

std::string event_to_jsonl(const AuditEvent& event) {
  std::string line =
      event_to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

std::string_view csv_header() {
  return "id,at,principal_id,principal_name,credential,action,resource,decision,reason,"
         "client_ip,user_agent,integration,count\r\n";
}

std::string csv_field(std::string_view value) {
  std::string text;
  if (!value.empty() && (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
                         value.front() == '@')) {
    text += '\'';
  }
  text += value;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string event_to_csv(const AuditEvent& event) {
  const std::string_view fields[] = {
      event.principal_id, event.principal_name,      event.credential, event.action,
      event.resource,     to_string(event.decision), event.reason,     event.client_ip,
      event.user_agent,   event.integration};
  std::string row = std::to_string(event.id);
  row += ',';
  row += format_rfc3339(event.at);
  for (std::string_view field : fields) {
    row += ',';
    row += csv_field(field);
  }
  row += ',';
  row += std::to_string(event.count);
  row += "\r\n";
  return row;
}

}  // namespace latchkey::audit
