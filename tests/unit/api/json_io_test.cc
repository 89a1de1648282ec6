#include "api/json_io.h"

#include <gtest/gtest.h>

namespace latchkey::api {
namespace {

http::Request with_body(std::string body) {
  http::Request r;
  r.body = std::move(body);
  return r;
}

// Test that only JSON objects are accepted as bodies.
TEST(JsonIo, ParsesObjectsOnly) {
  EXPECT_TRUE(parse_object_body(with_body("{\"a\":1}")).has_value());
  EXPECT_TRUE(parse_object_body(with_body(""), /*allow_empty=*/true).has_value());
  for (const char* bad : {"", "[]", "1", "nul", "{", "{\"a\":}", "\xff"}) {
    auto r = parse_object_body(with_body(bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  }
}

// Test that typed fields name the field when the type is wrong.
TEST(JsonIo, TypedFields) {
  Json j = {{"flag", true}, {"name", "x"}, {"n", 3}, {"nil", nullptr}};
  EXPECT_EQ(**optional_bool(j, "flag"), true);
  EXPECT_FALSE(optional_bool(j, "absent")->has_value());
  EXPECT_FALSE(optional_bool(j, "nil")->has_value());
  auto wrong = optional_bool(j, "name");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().description.find("\"name\""), std::string::npos);
  EXPECT_EQ(**optional_int(j, "n"), 3);
  EXPECT_FALSE(optional_string(j, "n").has_value());
  EXPECT_FALSE(reject_unknown_fields(j, {"flag", "name"}).has_value());
  EXPECT_TRUE(reject_unknown_fields(j, {"flag", "name", "n", "nil"}).has_value());
}

// Test that an unknown field is named when it is an ordinary name and not
// when it looks like a secret (issue 13 item 5).
TEST(JsonIo, UnknownFieldNamedOnlyWhenHarmless) {
  auto typo = reject_unknown_fields(Json{{"api_acess", true}}, {"api_access"});
  ASSERT_FALSE(typo.has_value());
  EXPECT_EQ(typo.error().description, "unknown field \"api_acess\"");
  const std::string secret = std::string("lk_") + "sec_" + "Zm9vYmFyYmF6";
  auto misplaced = reject_unknown_fields(Json{{secret, 1}}, {"api_access"});
  ASSERT_FALSE(misplaced.has_value());
  EXPECT_EQ(misplaced.error().description, "unknown field");
  auto long_name = reject_unknown_fields(Json{{std::string(65, 'x'), 1}}, {"api_access"});
  ASSERT_FALSE(long_name.has_value());
  EXPECT_EQ(long_name.error().description, "unknown field");
}

}  // namespace
}  // namespace latchkey::api
