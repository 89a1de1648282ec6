// The audit trail's export forms (src/audit/audit_format.cc): one event
// whose text fields come from the input (split at 0x1F; clients choose the
// User-Agent, X-Integration, ids in paths, ...), rendered as a JSON Lines
// line and a CSV row.
//
// Properties (not only "no crash"):
//   JSON Lines: exactly one line, ending in "\n", a JSON object with the 13
//     documented members; each text field reads back equal to the event's
//     when it is valid UTF-8 (invalid bytes are replaced, never dropped
//     silently into a broken line).
//   CSV: the row parses (RFC 4180) into exactly the 13 columns of the
//     header; each text field reads back equal, behind a "'" when it starts
//     with = + - or @ (no spreadsheet formula).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_format.h"
#include "fuzz_check.h"

namespace {

using latchkey::AuditEvent;

// RFC 4180 record ending in CRLF; nullopt when malformed.
std::optional<std::vector<std::string>> parse_csv_record(std::string_view row) {
  std::vector<std::string> fields(1);
  std::size_t i = 0;
  bool field_start = true;
  while (i < row.size()) {
    const char c = row[i];
    if (field_start && c == '"') {
      ++i;
      for (;;) {
        if (i >= row.size()) return std::nullopt;
        if (row[i] == '"') {
          if (i + 1 < row.size() && row[i + 1] == '"') {
            fields.back() += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        fields.back() += row[i++];
      }
      field_start = false;
      if (i < row.size() && row[i] != ',' && row[i] != '\r') return std::nullopt;
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
      field_start = true;
      ++i;
    } else if (c == '\r') {
      if (row.substr(i) != "\r\n") return std::nullopt;
      return fields;
    } else if (c == '"' || c == '\n') {
      return std::nullopt;  // a quote or LF in an unquoted field
    } else {
      fields.back() += c;
      field_start = false;
      ++i;
    }
  }
  return std::nullopt;  // no CRLF at the end
}

bool valid_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // the strict handler throws on invalid UTF-8
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

std::string expected_csv(std::string_view value) {
  if (!value.empty() && std::string_view("=+-@").find(value.front()) != std::string_view::npos) {
    return "'" + std::string(value);
  }
  return std::string(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  AuditEvent event;
  event.id = static_cast<std::int64_t>(data[0]) * 1'000'003;
  event.count = 1 + data[1];
  event.decision = (data[2] & 1) ? latchkey::AuditDecision::kDeny : latchkey::AuditDecision::kAllow;
  // Instants of years 1970 to about 2150.
  event.at = latchkey::from_unix_millis(static_cast<std::int64_t>(data[2]) * 21'000'000'000LL);

  std::string* text_fields[] = {&event.principal_id, &event.principal_name, &event.credential,
                                &event.action,       &event.resource,       &event.reason,
                                &event.client_ip,    &event.user_agent,     &event.integration};
  std::string_view rest = latchkey::fuzz::as_text(data + 3, size - 3);
  for (std::string* field : text_fields) {
    const std::size_t end = rest.find('\x1f');
    *field = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }

  // JSON Lines.
  const std::string line = latchkey::audit::event_to_jsonl(event);
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  FUZZ_CHECK(line.find('\n') == line.size() - 1);
  const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(json.is_object() && json.size() == 13);
  const char* const names[] = {"principal_id", "principal_name", "credential",
                               "action",       "resource",       "reason",
                               "client_ip",    "user_agent",     "integration"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    const auto& member = json[names[i]];
    FUZZ_CHECK(member.is_string());
    if (valid_utf8(*text_fields[i])) FUZZ_CHECK(member.get<std::string>() == *text_fields[i]);
  }
  FUZZ_CHECK(json["id"] == event.id && json["count"] == event.count);
  FUZZ_CHECK(json["decision"] ==
             (event.decision == latchkey::AuditDecision::kDeny ? "deny" : "allow"));

  // CSV.
  const auto header = parse_csv_record(latchkey::audit::csv_header());
  FUZZ_CHECK(header && header->size() == 13);
  const std::string row = latchkey::audit::event_to_csv(event);
  const auto columns = parse_csv_record(row);
  FUZZ_CHECK(columns && columns->size() == header->size());
  for (std::size_t i = 0; i < header->size(); ++i) {
    const std::string& column = (*header)[i];
    for (std::size_t k = 0; k < std::size(names); ++k) {
      if (column == names[k]) FUZZ_CHECK((*columns)[i] == expected_csv(*text_fields[k]));
    }
  }
  FUZZ_CHECK((*columns)[0] == std::to_string(event.id));
  FUZZ_CHECK((*columns)[12] == std::to_string(event.count));
  return 0;
}
