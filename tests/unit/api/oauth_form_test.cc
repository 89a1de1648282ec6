// Tests of the application/x-www-form-urlencoded parser of the OAuth
// endpoints (api/form_urlencoded.h).
#include <gtest/gtest.h>

#include "api/form_urlencoded.h"
#include "core/encoding.h"

namespace latchkey::api {
namespace {

// Test '+' and %XX decoding, in names and values.
TEST(FormUrlencoded, DecodesPlusAndPercent) {
  auto form =
      parse_form_urlencoded("grant_type=client_credentials&scope=read+write&x%5Fy=a%2Bb%20c%3d");
  ASSERT_TRUE(form) << form.error().description;
  EXPECT_EQ(form->get("grant_type"), "client_credentials");
  EXPECT_EQ(form->get("scope"), "read write");
  EXPECT_EQ(form->get("x_y"), "a+b c=");
  EXPECT_EQ(form->get("missing"), std::nullopt);
  EXPECT_EQ(form_url_decode("%41%62"), "Ab");
}

// Test that a bad %-escape is an invalid_request, never a crash.
TEST(FormUrlencoded, BadPercentEscapesRefused) {
  for (const char* body : {"a=%", "a=%4", "a=%zz", "%g1=b", "a=b%"}) {
    auto form = parse_form_urlencoded(body);
    ASSERT_FALSE(form) << body;
    EXPECT_EQ(form.error().code, ErrorCode::kInvalidRequest);
  }
}

// Test that repeated keys are detected (RFC 6749 §3.2), even when one of
// them is empty.
TEST(FormUrlencoded, RepeatedKeysDetected) {
  auto form = parse_form_urlencoded("scope=read&grant_type=x&scope=write");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->repeated(), "scope");
  EXPECT_EQ(form->get("scope"), "read");
  auto encoded = parse_form_urlencoded("token=a&%74oken=");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->repeated(), "token");
  auto single = parse_form_urlencoded("a=1&b=2");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->repeated(), std::nullopt);
}

// Test empty values count as omitted (value()), empty segments are skipped
// and a name without '=' has an empty value.
TEST(FormUrlencoded, EmptyValuesAndSegments) {
  auto form = parse_form_urlencoded("&a=&&b&c=1&");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->fields.size(), 3u);
  EXPECT_EQ(form->get("a"), "");
  EXPECT_EQ(form->value("a"), std::nullopt);
  EXPECT_EQ(form->get("b"), "");
  EXPECT_EQ(form->value("c"), "1");
  auto empty = parse_form_urlencoded("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->fields.empty());
}

// Test the size limit.
TEST(FormUrlencoded, OversizedBodyRefused) {
  EXPECT_FALSE(parse_form_urlencoded(std::string(100, 'a'), 99));
  EXPECT_TRUE(parse_form_urlencoded(std::string(99, 'a'), 99));
}

// Test the Content-Type check: parameters and case are tolerated.
TEST(FormUrlencoded, ContentType) {
  EXPECT_TRUE(is_form_urlencoded("application/x-www-form-urlencoded"));
  EXPECT_TRUE(is_form_urlencoded("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
  EXPECT_FALSE(is_form_urlencoded("application/json"));
  EXPECT_FALSE(is_form_urlencoded("multipart/form-data"));
  EXPECT_FALSE(is_form_urlencoded(std::nullopt));
}

}  // namespace
}  // namespace latchkey::api
