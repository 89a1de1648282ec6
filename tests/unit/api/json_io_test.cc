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

}  // namespace
}  // namespace latchkey::api
