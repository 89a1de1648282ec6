#include "core/log_line.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/log_context.h"

namespace latchkey {
namespace {

std::string json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string text(std::string_view value, bool quote = true) {
  std::string out;
  append_text(out, value, quote);
  return out;
}

// Test that quotes, backslashes and every control character are escaped.
TEST(LogLine, JsonEscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json("plain /path"), "\"plain /path\"");
  EXPECT_EQ(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json("l1\nl2\r\t\b\f"), "\"l1\\nl2\\r\\t\\b\\f\"");
  EXPECT_EQ(json(std::string_view("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
  // Line separators that end a line in JavaScript.
  EXPECT_EQ(json("a\xE2\x80\xA8"
                 "b\xE2\x80\xA9"),
            "\"a\\u2028b\\u2029\"");
}

// Test that valid UTF-8 passes unchanged and invalid bytes become U+FFFD,
// one per maximal invalid subpart.
TEST(LogLine, JsonReplacesInvalidUtf8) {
  EXPECT_EQ(json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91\"");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json("a\xFF"
                 "b"),
            "\"a" + fffd + "b\"");                                    // never a lead byte
  EXPECT_EQ(json("\x80"), "\"" + fffd + "\"");                        // lone continuation
  EXPECT_EQ(json("\xC0\xAF"), "\"" + fffd + fffd + "\"");             // overlong '/'
  EXPECT_EQ(json("\xE0\x80\xAF"), "\"" + fffd + fffd + fffd + "\"");  // overlong, 3 bytes
  EXPECT_EQ(json("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // a surrogate
  EXPECT_EQ(json("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(json("\xE2\x82"), "\"" + fffd + "\"");    // truncated at the end
  EXPECT_EQ(json("\xE2\x82x"), "\"" + fffd + "x\"");  // truncated in the middle
  EXPECT_EQ(json("\xF0\x9F\x94"), "\"" + fffd + "\"");
}

// Test that whatever bytes come in, the result is a JSON string that a
// strict parser reads back (nlohmann throws on invalid UTF-8).
TEST(LogLine, JsonOfEveryByteParses) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  all += all;
  const std::string encoded = json(all);
  const auto parsed = nlohmann::json::parse(encoded);
  ASSERT_TRUE(parsed.is_string());
  // ASCII survives exactly.
  EXPECT_EQ(parsed.get<std::string>().substr(0, 128), all.substr(0, 128));
}

// Test that a JSON line has time, level, logger and msg first, then fields.
TEST(LogLine, JsonLineHasCommonKeys) {
  std::string out;
  LogLine(out, LogFormat::kJson, "2026-12-05T01:02:03.456Z", "info", "access", "request")
      .field("path", "/a\nb")
      .number("status", "200")
      .finish();
  EXPECT_EQ(out,
            "{\"time\":\"2026-12-05T01:02:03.456Z\",\"level\":\"info\",\"logger\":\"access\","
            "\"msg\":\"request\",\"path\":\"/a\\nb\",\"status\":200}");
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["path"], "/a\nb");
  EXPECT_EQ(j["status"], 200);
}

// Test that a text line stays one line: controls escaped, values with
// spaces quoted, invalid UTF-8 replaced.
TEST(LogLine, TextLineIsOneReadableLine) {
  std::string out;
  LogLine(out, LogFormat::kText, "2026-12-05T01:02:03.456Z", "warn", "latchkeyd",
          "bad\nthing\x1b[31m")
      .field("path", "/x y")
      .field("id", "abc")
      .field("empty", "")
      .field("quote", "a\"b")
      .number("status", "404")
      .finish();
  EXPECT_EQ(out,
            "2026-12-05T01:02:03.456Z warn bad\\nthing\\x1b[31m path=\"/x y\" id=abc empty=\"\" "
            "quote=\"a\\\"b\" status=404");
  EXPECT_EQ(text("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(text("a\xC2\x85"
                 "b",
                 false),
            "a\\u0085b");
  EXPECT_EQ(out.find('\n'), std::string::npos);
}

// Test that a log context is visible on its thread while it lives and
// restores the outer one after.
TEST(LogContext, NestsPerThread) {
  EXPECT_EQ(current_log_context(), nullptr);
  {
    ScopedLogContext outer({"r1", "t1"});
    ASSERT_NE(current_log_context(), nullptr);
    EXPECT_EQ(current_log_context()->request_id, "r1");
    {
      ScopedLogContext inner({"r2", ""});
      EXPECT_EQ(current_log_context()->request_id, "r2");
    }
    EXPECT_EQ(current_log_context()->trace_id, "t1");
  }
  EXPECT_EQ(current_log_context(), nullptr);
}

}  // namespace
}  // namespace latchkey
