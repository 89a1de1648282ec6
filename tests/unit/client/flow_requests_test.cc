// The exact request each token source sends and the response shapes it
// accepts (docs/jwt.md, docs/oauth.md, seed 000).
#include <gtest/gtest.h>

#include "latchkey/client/client.h"
#include "unit/client/fake_token_server.h"

namespace latchkey::client {
namespace {

using testing::FakeTransport;
using testing::kApiKey;
using testing::kBaseUrl;
using testing::kClientId;
using testing::kClientSecret;

std::string header_of(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return {};
}

// Test that the seed 004 exchange is POST /v2/auth/token/access with
// exactly {"api_key"} as JSON and no Authorization header, and that its
// two-field answer (no token_type) is accepted.
TEST(ApiKeyTokenSourceTest, AccessExchangeSendsExactlyTheKey) {
  testing::FakeTokenServer server(testing::Flow::kApiKeyAccess);
  ApiKeyTokenSource tokens({.base_url = std::string(kBaseUrl) + "/",
                            .api_key = kApiKey,
                            .transport = server.transport(),
                            .clock = [] { return std::int64_t{100}; }});
  EXPECT_EQ(tokens.endpoint(), "/v2/auth/token/access");
  auto token = tokens.get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(token->expires_at_unix, 1100);
  const auto requests = server.transport()->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, std::string(kBaseUrl) + "/v2/auth/token/access");
  EXPECT_EQ(requests[0].body, std::string(R"({"api_key":")") + kApiKey + "\"}");
  EXPECT_EQ(header_of(requests[0], "Content-Type"), "application/json");
  EXPECT_EQ(header_of(requests[0], "Authorization"), "");
}

// Test that a session id selects seed 003's POST /auth/login with
// {"api_key", "session_id"}.
TEST(ApiKeyTokenSourceTest, SessionIdSelectsLogin) {
  testing::FakeTokenServer server(testing::Flow::kApiKeyLogin);
  ApiKeyTokenSource tokens({.base_url = kBaseUrl,
                            .api_key = kApiKey,
                            .transport = server.transport(),
                            .session_id = "worker-7"});
  EXPECT_EQ(tokens.endpoint(), "/auth/login");
  ASSERT_TRUE(tokens.get().has_value());
  const auto requests = server.transport()->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, std::string(kBaseUrl) + "/auth/login");
  EXPECT_EQ(requests[0].body,
            std::string(R"({"api_key":")") + kApiKey + R"(","session_id":"worker-7"})");
}

// Test that a login answer without token_type "Bearer" is a bad response
// (seed 003 promises it), as is a missing or negative expires_in.
TEST(ApiKeyTokenSourceTest, MalformedAnswersAreBadResponses) {
  for (const std::string body :
       {R"({"access_token":"abcdefgh","expires_in":7200})",
        R"({"access_token":"abcdefgh","expires_in":7200,"token_type":"mac"})",
        R"({"access_token":"abcdefgh","token_type":"Bearer"})",
        R"({"access_token":"abcdefgh","expires_in":-1,"token_type":"Bearer"})",
        R"({"access_token":"a b","expires_in":1,"token_type":"Bearer"})", "not json"}) {
    auto transport = std::make_shared<FakeTransport>(
        [&body](const HttpRequest&) { return FakeTransport::json(200, body); });
    ApiKeyTokenSource tokens(
        {.base_url = kBaseUrl, .api_key = kApiKey, .transport = transport, .session_id = "s1"});
    auto token = tokens.get();
    ASSERT_FALSE(token.has_value()) << body;
    EXPECT_EQ(token.error().kind, ErrorKind::kBadResponse) << body;
  }
}

// Test that a revoked login session (409 session_revoked) is a typed
// error carrying the reason.
TEST(ApiKeyTokenSourceTest, RevokedSessionCarriesItsReason) {
  auto transport = std::make_shared<FakeTransport>([](const HttpRequest&) {
    return FakeTransport::json(
        409,
        R"({"error":"conflict","error_description":"the session was revoked","reason":"session_revoked"})");
  });
  ApiKeyTokenSource tokens(
      {.base_url = kBaseUrl, .api_key = kApiKey, .transport = transport, .session_id = "s1"});
  auto token = tokens.get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().status, 409);
  EXPECT_EQ(token.error().reason, "session_revoked");
}

// Test that an empty key is a usage error and nothing is sent.
TEST(ApiKeyTokenSourceTest, MissingKeyIsAUsageError) {
  testing::FakeTokenServer server(testing::Flow::kApiKeyAccess);
  ApiKeyTokenSource tokens({.base_url = kBaseUrl, .transport = server.transport()});
  auto token = tokens.get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kUsage);
  EXPECT_TRUE(server.transport()->requests().empty());
}

// Test that the OAuth exchange is a form POST to /oauth/token with
// client_secret_basic, grant_type=client_credentials and the scope, and
// that the granted scope is reported.
TEST(OAuthClientCredentialsTokenSourceTest, SendsTheClientCredentialsGrant) {
  testing::FakeTokenServer server(testing::Flow::kOAuth);
  OAuthClientCredentialsTokenSource tokens({.base_url = kBaseUrl,
                                            .credentials = {kClientId, kClientSecret},
                                            .transport = server.transport(),
                                            .scope = "read"});
  auto token = tokens.get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(tokens.granted_scope(), "read");
  const auto requests = server.transport()->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, std::string(kBaseUrl) + "/oauth/token");
  EXPECT_EQ(requests[0].body, "grant_type=client_credentials&scope=read");
  EXPECT_EQ(header_of(requests[0], "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_TRUE(header_of(requests[0], "Authorization").starts_with("Basic "));
}

// Test that a scope with a space is form-encoded and no scope sends none.
TEST(OAuthClientCredentialsTokenSourceTest, ScopeIsFormEncoded) {
  testing::FakeTokenServer server(testing::Flow::kOAuth);
  OAuthClientCredentialsTokenSource both({.base_url = kBaseUrl,
                                          .credentials = {kClientId, kClientSecret},
                                          .transport = server.transport(),
                                          .scope = "read write"});
  ASSERT_TRUE(both.get().has_value());
  OAuthClientCredentialsTokenSource none({.base_url = kBaseUrl,
                                          .credentials = {kClientId, kClientSecret},
                                          .transport = server.transport()});
  ASSERT_TRUE(none.get().has_value());
  const auto requests = server.transport()->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "grant_type=client_credentials&scope=read+write");
  EXPECT_EQ(requests[1].body, "grant_type=client_credentials");
}

// Test that invalid_client with its reason comes back typed, masked.
TEST(OAuthClientCredentialsTokenSourceTest, InvalidClientCarriesTheReason) {
  auto transport = std::make_shared<FakeTransport>([](const HttpRequest&) {
    return FakeTransport::json(
        401,
        R"({"error":"invalid_client","error_description":"API access is not enabled","reason":"api_access_disabled"})");
  });
  OAuthClientCredentialsTokenSource tokens(
      {.base_url = kBaseUrl, .credentials = {kClientId, kClientSecret}, .transport = transport});
  auto token = tokens.get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().error, "invalid_client");
  EXPECT_EQ(token.error().reason, "api_access_disabled");
}

// Test that when the replay after a 401 is refused otherwise (403 quoting
// the token), neither the first nor the fresh token appears in the error.
TEST(ClientScrubTest, RefusedReplayNeverQuotesEitherToken) {
  int issued = 0;
  int calls = 0;
  auto transport = std::make_shared<FakeTransport>([&](const HttpRequest& request) {
    if (request.url.ends_with("/v2/auth/token/access")) {
      return FakeTransport::json(200, R"({"access_token":"eyJjwt)" + std::to_string(++issued) +
                                          R"(abcdefghijkl","expires_in":900})");
    }
    const std::string presented = testing::authorization_of(request).substr(7);
    if (++calls == 1) {
      return FakeTransport::json(401, R"({"error":"invalid_token","reason":"revoked"})");
    }
    return FakeTransport::json(
        403, R"({"error":"forbidden","error_description":"token )" + presented + R"( may not"})");
  });
  auto tokens = std::make_shared<ApiKeyTokenSource>(
      ApiKeyTokenSourceOptions{.base_url = kBaseUrl, .api_key = kApiKey, .transport = transport});
  Client client(kBaseUrl, transport, tokens);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().status, 403);
  EXPECT_EQ(issued, 2);
  EXPECT_EQ(response.error().message().find("eyJjwt1abcdefghijkl"), std::string::npos);
  EXPECT_EQ(response.error().message().find("eyJjwt2abcdefghijkl"), std::string::npos)
      << response.error().message();
}

}  // namespace
}  // namespace latchkey::client
