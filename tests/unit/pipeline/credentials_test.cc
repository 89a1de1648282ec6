#include "pipeline/credentials.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace latchkey::pipeline {
namespace {

// Test that a well-formed Basic header yields the id and the secret.
TEST(ParseBasic, AcceptsSeedFormat) {
  auto c = parse_basic_authorization("Basic " + base64_encode("cli_abc:lk_sec_xyz"));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->client_id, "cli_abc");
  EXPECT_EQ(c->client_secret, "lk_sec_xyz");
  // The scheme is case-insensitive (RFC 7235); a colon inside the secret is kept.
  auto lower = parse_basic_authorization("basic " + base64_encode("a:b:c"));
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(lower->client_secret, "b:c");
}

// Test that each malformed Basic header is invalid_client, never a crash.
TEST(ParseBasic, RejectsMalformedHeaders) {
  const std::optional<std::string> cases[] = {
      std::nullopt,
      "",
      "Basic",
      "Basic ",
      "Bearer " + base64_encode("a:b"),
      "Basic not*base64",
      "Basic " + base64_encode("nocolon"),
      "Basic " + base64_encode(":secret"),
      "Basic " + base64_encode("id:"),
      "Basic " + std::string(2000, 'A'),
      "Basicx " + base64_encode("a:b"),
  };
  for (const auto& header : cases) {
    auto r =
        parse_basic_authorization(header ? std::optional<std::string_view>(*header) : std::nullopt);
    ASSERT_FALSE(r.has_value()) << header.value_or("<none>");
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidClient);
    EXPECT_FALSE(r.error().description.empty());
  }
}

// Test that bearer parsing separates a missing header from a malformed one.
TEST(ParseBearer, MissingVersusMalformed) {
  EXPECT_EQ(parse_bearer_authorization(std::nullopt).error().code, ErrorCode::kMissingCredentials);
  EXPECT_EQ(parse_bearer_authorization("Basic abc").error().reason, "malformed");
  EXPECT_EQ(parse_bearer_authorization("Bearer").error().reason, "malformed");
  EXPECT_EQ(parse_bearer_authorization("Bearer   ").error().reason, "malformed");
  EXPECT_EQ(*parse_bearer_authorization("bearer  tok  "), "tok");
}

// Test reading the console's cookie out of a Cookie header: among others,
// with spaces and quotes; absent or malformed headers have no such cookie.
TEST(CookieValue, FindsTheNamedCookie) {
  EXPECT_EQ(cookie_value("latchkey_session=abc", kSessionCookieName), "abc");
  EXPECT_EQ(cookie_value("a=1; latchkey_session=abc; b=2", kSessionCookieName), "abc");
  EXPECT_EQ(cookie_value("a=1;latchkey_session=\"abc\"", kSessionCookieName), "abc");
  EXPECT_EQ(cookie_value("xlatchkey_session=abc", kSessionCookieName), std::nullopt);
  EXPECT_EQ(cookie_value("latchkey_session", kSessionCookieName), std::nullopt);
  EXPECT_EQ(cookie_value(";;;=", kSessionCookieName), std::nullopt);
  EXPECT_EQ(cookie_value(std::nullopt, kSessionCookieName), std::nullopt);
  EXPECT_EQ(cookie_value("latchkey_session=", kSessionCookieName), "");
}

// Test that every cookie of the name is found, in header order (a planted
// one may come first), and that "__Host-" is another name.
TEST(CookieValue, FindsEveryCookieOfTheName) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(cookie_values("latchkey_session=a; x=1; latchkey_session=b", kSessionCookieName),
            (V{"a", "b"}));
  EXPECT_EQ(cookie_values("__Host-latchkey_session=a; latchkey_session=b", kSessionCookieName),
            (V{"b"}));
  EXPECT_EQ(
      cookie_values("__Host-latchkey_session=a; latchkey_session=b", kSecureSessionCookieName),
      (V{"a"}));
  EXPECT_EQ(cookie_values(std::nullopt, kSessionCookieName), V{});
}

// Test what counts as the server's own origin: the Host header's
// host[:port] under http or https, or the public URL's origin.
TEST(SameOrigin, HostOrPublicOrigin) {
  EXPECT_TRUE(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080", ""));
  EXPECT_TRUE(same_origin("https://Auth.Example", "auth.example", ""));
  EXPECT_FALSE(same_origin("http://evil.example", "127.0.0.1:8080", ""));
  EXPECT_FALSE(same_origin("http://127.0.0.1:8081", "127.0.0.1:8080", ""));
  EXPECT_FALSE(same_origin("null", "127.0.0.1:8080", ""));
  EXPECT_FALSE(same_origin("ftp://127.0.0.1:8080", "127.0.0.1:8080", ""));
  EXPECT_FALSE(same_origin("http://", "", ""));
  EXPECT_TRUE(same_origin("https://console.example", "10.0.0.5:8080", "https://console.example"));
  EXPECT_FALSE(same_origin("http://console.example", "10.0.0.5:8080", "https://console.example"));
}

}  // namespace
}  // namespace latchkey::pipeline
