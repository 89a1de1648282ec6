#include "audit/audit_query.h"

#include <gtest/gtest.h>

namespace latchkey::audit {
namespace {

// Test that RFC 3339 times parse with fractions and offsets, and that
// malformed ones are refused.
TEST(AuditQuery, ParsesRfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), from_unix_millis(0));
  EXPECT_EQ(parse_rfc3339("2026-11-18T11:06:40.123Z"), from_unix_millis(1'795'000'000'123));
  EXPECT_EQ(parse_rfc3339("2026-11-18T13:06:40.123+02:00"), from_unix_millis(1'795'000'000'123));
  EXPECT_EQ(parse_rfc3339("2026-11-18t11:06:40.1z"), from_unix_millis(1'795'000'000'100));
  EXPECT_EQ(parse_rfc3339("2026-11-18T06:06:40-05:00"), from_unix_millis(1'795'000'000'000));
  for (const char* bad :
       {"", "2026-11-18", "2026-11-18T04:26:40", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-18T24:00:00Z", "2026-11-18T04:26:40.Z", "2026-11-18T04:26:40Zjunk", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

// Test that query strings are percent-decoded and that unknown or repeated
// parameters and bad escapes are refused.
TEST(AuditQuery, ParsesQueryStrings) {
  auto params = parse_query_string("principal=usr_1&from=2026-01-01T00%3A00%3A00%2B01%3A00",
                                   {"principal", "from"});
  ASSERT_TRUE(params.has_value());
  EXPECT_EQ(param(*params, "principal"), "usr_1");
  EXPECT_EQ(param(*params, "from"), "2026-01-01T00:00:00+01:00");
  EXPECT_FALSE(parse_query_string("principle=usr_1", {"principal"}).has_value());
  EXPECT_FALSE(parse_query_string("principal=a&principal=b", {"principal"}).has_value());
  EXPECT_FALSE(parse_query_string("principal=%zz", {"principal"}).has_value());
  EXPECT_FALSE(parse_query_string("principal=%2", {"principal"}).has_value());
}

// Test that a cursor survives a round trip and that forged ones are refused.
TEST(AuditQuery, CursorRoundTrip) {
  const AuditCursor cursor{from_unix_millis(1'795'000'000'123), 42};
  EXPECT_EQ(decode_cursor(encode_cursor(cursor)), cursor);
  EXPECT_FALSE(decode_cursor("").has_value());
  EXPECT_FALSE(decode_cursor("abc").has_value());
  EXPECT_FALSE(decode_cursor("1.x").has_value());
  EXPECT_FALSE(decode_cursor("1.-2").has_value());
}

// Test the filters: defaults, each field, and a 400 for every bad value.
TEST(AuditQuery, Filters) {
  auto parse = [](std::string_view q) {
    auto params = parse_query_string(
        q, {"principal", "from", "to", "decision", "action", "key", "limit", "cursor"});
    EXPECT_TRUE(params.has_value());
    return parse_audit_filters(*params, 100, 1000);
  };
  auto all = parse("");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->limit, 100);
  EXPECT_TRUE(all->principal_id.empty());
  EXPECT_FALSE(all->from || all->to || all->decision || all->after);

  auto some = parse(
      "principal=usr_1&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"
      "&decision=deny&limit=5&cursor=10.3");
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(some->principal_id, "usr_1");
  EXPECT_EQ(some->decision, AuditDecision::kDeny);
  EXPECT_EQ(some->limit, 5);
  EXPECT_EQ(some->after, (AuditCursor{from_unix_millis(10), 3}));
  EXPECT_LT(*some->from, *some->to);
  EXPECT_TRUE(some->action.empty());
  EXPECT_TRUE(some->key.empty());

  auto exact = parse("action=api_key.create&key=a1B9");
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->action, "api_key.create");
  EXPECT_FALSE(exact->action_prefix);
  EXPECT_EQ(exact->key, "a1B9");
  auto prefix = parse("action=api_key.*");
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->action, "api_key.");
  EXPECT_TRUE(prefix->action_prefix);

  for (const char* bad :
       {"decision=maybe", "limit=0", "limit=1001", "limit=ten", "from=yesterday", "to=2026-01-01",
        "cursor=nope", "principal=", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "action=", "action=*", "action=api key", "action=a%27b", "key=", "key=a%0Ab"}) {
    auto parsed = parse(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidRequest) << bad;
  }
}

}  // namespace
}  // namespace latchkey::audit
