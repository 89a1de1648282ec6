// The audit trail's wire forms: one event as a JSON object (the query API
// and JSON Lines export) and as a CSV row (RFC 4180). Included only by the
// .cc files that serve or print the trail (it pulls in nlohmann/json).
//
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "audit/audit_event.h"

namespace latchkey::audit {

// {"id", "at" (RFC 3339), "principal_id", "principal_name", "credential",
//  "action", "resource", "decision", "reason", "client_ip", "user_agent",
//  "integration", "count"}: `count` identical calls, the first at `at`.
nlohmann::json event_to_json(const AuditEvent& event);

// event_to_json on one line, then "\n". Invalid UTF-8 is replaced (U+FFFD).
std::string event_to_jsonl(const AuditEvent& event);

// The CSV columns, in the order of event_to_json, ending in "\r\n".
std::string_view csv_header();
// One CSV record ending in "\r\n" (RFC 4180).
std::string event_to_csv(const AuditEvent& event);

// One CSV field: quoted when it holds a comma, a double quote, CR or LF
// (inner quotes doubled), and prefixed with a single quote when it starts
// with = + - or @ so that a spreadsheet never runs a client-supplied
// User-Agent as a formula.
std::string csv_field(std::string_view value);

}  // namespace latchkey::audit
