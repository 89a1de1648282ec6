#include "audit/audit_format.h"

#include <gtest/gtest.h>

namespace latchkey::audit {
namespace {

AuditEvent sample() {
  AuditEvent e;
  e.id = 7;
  e.at = from_unix_millis(1'795'000'000'123);
  e.principal_id = "usr_1";
  e.principal_name = "risk-sync";
  e.credential = "client cli_1";
  e.action = "account.token.issue";
  e.resource = "user/usr_1";
  e.decision = AuditDecision::kDeny;
  e.reason = "invalid_client";
  e.client_ip = "10.0.0.1";
  e.user_agent = "agent, \"quoted\"\nnext";
  e.integration = "=HYPERLINK(\"x\")";
  e.count = 3;
  return e;
}

// Test that CSV fields with commas, quotes or newlines are quoted with
// inner quotes doubled (RFC 4180), and plain ones are left alone.
TEST(AuditFormat, CsvQuoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(csv_field(""), "");
}

// Test that a value a spreadsheet would run as a formula is neutralised.
TEST(AuditFormat, CsvNeutralisesFormulas) {
  EXPECT_EQ(csv_field("=1+1"), "'=1+1");
  EXPECT_EQ(csv_field("+1"), "'+1");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("-2,3"), "\"'-2,3\"");
}

// Test that a CSV row has the header's columns, in order (count last, so
// that readers of the older columns by position still work), ending in CRLF.
TEST(AuditFormat, CsvRow) {
  const std::string row = event_to_csv(sample());
  EXPECT_EQ(row,
            "7,2026-11-18T11:06:40.123Z,usr_1,risk-sync,client cli_1,account.token.issue,"
            "user/usr_1,deny,invalid_client,10.0.0.1,\"agent, \"\"quoted\"\"\nnext\","
            "\"'=HYPERLINK(\"\"x\"\")\",3\r\n");
  EXPECT_EQ(csv_header(),
            "id,at,principal_id,principal_name,credential,action,resource,decision,reason,"
            "client_ip,user_agent,integration,count\r\n");
}

// Test that a JSON Lines record is one line of the event's JSON object.
TEST(AuditFormat, JsonLine) {
  const std::string line = event_to_jsonl(sample());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["id"], 7);
  EXPECT_EQ(json["at"], "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(json["decision"], "deny");
  EXPECT_EQ(json["user_agent"], "agent, \"quoted\"\nnext");
  EXPECT_EQ(json["integration"], "=HYPERLINK(\"x\")");
  EXPECT_EQ(json["count"], 3);
}

// Test that invalid UTF-8 from a client header does not break the export.
TEST(AuditFormat, JsonLineSurvivesInvalidUtf8) {
  AuditEvent e = sample();
  e.user_agent = "bad \xff\xfe";
  EXPECT_NO_THROW(event_to_jsonl(e));
}

}  // namespace
}  // namespace latchkey::audit
