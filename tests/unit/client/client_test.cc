#include "latchkey/client/client.h"

#include <gtest/gtest.h>

#include "unit/client/fake_account_server.h"

namespace latchkey::client {
namespace {

using testing::FakeAccountServer;
using testing::FakeTransport;
using testing::kBaseUrl;
using testing::kClientId;
using testing::kClientSecret;

class ClientTest : public ::testing::Test {
 protected:
  ClientTest()
      : tokens_(std::make_shared<AccountTokenSource>(AccountTokenSourceOptions{
            .base_url = kBaseUrl,
            .credentials = {kClientId, kClientSecret},
            .transport = server_.transport(),
            .clock = [this] { return now_; },
        })),
        client_(kBaseUrl, server_.transport(), tokens_) {}

  FakeAccountServer server_;
  std::int64_t now_ = 1'795'000'000;
  std::shared_ptr<AccountTokenSource> tokens_;
  Client client_;
};

// Test that calls carry the bearer token and reuse it: one exchange for many calls.
TEST_F(ClientTest, AddsBearerTokenAndReusesIt) {
  for (int i = 0; i < 3; ++i) {
    auto response = client_.call("GET", "/api/v1/account/me");
    ASSERT_TRUE(response.has_value()) << response.error().message();
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ(server_.token_posts(), 1u);
  EXPECT_EQ(server_.me_gets(), 3u);
  const auto requests = server_.transport()->requests();
  EXPECT_EQ(testing::authorization_of(requests.back()), "Bearer " + server_.current_token());
}

// Test that a 401 leads to exactly one regeneration and one replay, which succeeds.
TEST_F(ClientTest, RegeneratesOnceAndReplaysOnceOn401) {
  ASSERT_TRUE(client_.call("GET", "/api/v1/account/me").has_value());
  server_.rival_regenerates_now();  // our cached token is now superseded
  auto response = client_.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server_.token_posts(), 2u);  // first use + one regeneration
  EXPECT_EQ(server_.me_gets(), 3u);      // ok, 401, replay
}

// Test that a 401 after the regeneration fails loudly, naming the likely
// cause, after exactly 2 POSTs in total: it never loops.
TEST_F(ClientTest, PersistentUnauthorizedFailsLoudWithoutLooping) {
  server_.set_rival_regenerates_after_each_issue(true);
  auto response = client_.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  const ClientError& error = response.error();
  EXPECT_EQ(error.kind, ErrorKind::kTokenRejectedAfterRefresh);
  EXPECT_EQ(error.status, 401);
  EXPECT_EQ(error.error, "invalid_token");
  EXPECT_EQ(error.reason, "superseded");
  EXPECT_EQ(error.request_id, "req-1");
  EXPECT_TRUE(error.refused_by_server());
  EXPECT_NE(error.message().find("another process is probably regenerating the token"),
            std::string::npos)
      << error.message();
  EXPECT_NE(error.message().find("superseded_by_client_id: cli_"), std::string::npos);
  EXPECT_EQ(server_.token_posts(), 2u);
  EXPECT_EQ(server_.me_gets(), 2u);
}

// Test that the replay carries the body again (POST after a 401).
TEST_F(ClientTest, ReplaySendsTheSameRequest) {
  ASSERT_TRUE(tokens_->get().has_value());
  server_.rival_regenerates_now();
  auto response = client_.call("POST", "/api/v1/users", R"({"name":"x","type":"service"})");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  const auto requests = server_.transport()->requests();
  ASSERT_EQ(requests.size(), 4u);  // token, POST(401), token, POST(200)
  EXPECT_EQ(requests[1].body, requests[3].body);
  EXPECT_EQ(requests[3].body, R"({"name":"x","type":"service"})");
  EXPECT_NE(testing::authorization_of(requests[1]), testing::authorization_of(requests[3]));
  bool has_content_type = false;
  for (const auto& [name, value] : requests[3].headers) {
    has_content_type |= name == "Content-Type" && value == "application/json";
  }
  EXPECT_TRUE(has_content_type);
}

// Test that a given (static) token is never regenerated: a 401 is returned as is.
TEST_F(ClientTest, StaticTokenIsNotRegenerated) {
  Client client(kBaseUrl, server_.transport(),
                std::make_shared<StaticTokenSource>("lk_at_notcurrent00000000"));
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kHttp);
  EXPECT_EQ(response.error().status, 401);
  EXPECT_EQ(server_.token_posts(), 0u);
  EXPECT_EQ(server_.me_gets(), 1u);
}

// Test that other refusals (403, 404, ...) are returned with the server's
// error fields and are not retried.
TEST_F(ClientTest, OtherErrorsCarryServerFieldsAndAreNotRetried) {
  auto transport = std::make_shared<FakeTransport>([](const HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"lk_at_abcdefghijk","token_type":"bearer","expires_in":60000})");
    }
    return FakeTransport::json(
        403, R"({"error":"forbidden","error_description":"requires the ADMIN module"})");
  });
  Client client(kBaseUrl, transport,
                std::make_shared<AccountTokenSource>(
                    AccountTokenSourceOptions{.base_url = kBaseUrl,
                                              .credentials = {kClientId, kClientSecret},
                                              .transport = transport}));
  auto response = client.call("GET", "/api/v1/users");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kHttp);
  EXPECT_EQ(response.error().status, 403);
  EXPECT_EQ(response.error().error, "forbidden");
  EXPECT_EQ(response.error().message(), "forbidden: requires the ADMIN module (HTTP: 403)");
  EXPECT_EQ(transport->count("GET", "/api/v1/users"), 1u);
}

// Test that a non-JSON error page still gives a readable message.
TEST_F(ClientTest, NonJsonErrorBodyGivesReadableMessage) {
  Client client(kBaseUrl, std::make_shared<FakeTransport>([](const HttpRequest&) {
                  return HttpResponse{.status = 502, .body = "<html>Bad Gateway</html>"};
                }),
                std::make_shared<StaticTokenSource>("lk_at_whatever0000"));
  auto response = client.call("GET", "/healthz");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().status, 502);
  EXPECT_NE(response.error().description.find("Bad Gateway"), std::string::npos);
}

// Test that neither the client secret nor any token appears in an error,
// even when a (misbehaving) server or transport echoes them.
TEST_F(ClientTest, SecretsNeverAppearInErrors) {
  std::string echoed;
  auto transport = std::make_shared<FakeTransport>([&echoed](const HttpRequest& request) {
    if (request.url.ends_with("/api/v1/account/token")) {
      return FakeTransport::json(
          200, R"({"access_token":"opaque-token-value-1","token_type":"bearer","expires_in":600})");
    }
    const std::string authorization = testing::authorization_of(request);
    echoed = authorization.substr(7);
    return FakeTransport::json(401, R"({"error":"invalid_token","error_description":"bad )" +
                                        authorization + R"( and )" + kClientSecret +
                                        R"(","reason":"lk_at_abcdefghijklmnop","hint":")" +
                                        kClientSecret + R"("})");
  });
  Client client(kBaseUrl, transport,
                std::make_shared<AccountTokenSource>(
                    AccountTokenSourceOptions{.base_url = kBaseUrl,
                                              .credentials = {kClientId, kClientSecret},
                                              .transport = transport}));
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  const std::string message = response.error().message();
  EXPECT_EQ(message.find(kClientSecret), std::string::npos) << message;
  EXPECT_EQ(message.find("opaque-token-value-1"), std::string::npos) << message;
  EXPECT_EQ(message.find("lk_at_abcdefghijklmnop"), std::string::npos) << message;
  EXPECT_NE(message.find("\u2022\u2022\u2022\u2022"), std::string::npos) << message;
}

// Test that a transport failure surfaces as kTransport and is not retried.
TEST_F(ClientTest, TransportErrorsAreNotRetried) {
  int sends = 0;
  Client client(
      kBaseUrl,
      std::make_shared<FakeTransport>([&sends](const HttpRequest&) -> Result<HttpResponse> {
        ++sends;
        return std::unexpected(
            ClientError{.kind = ErrorKind::kTransport, .description = "connection refused"});
      }),
      std::make_shared<StaticTokenSource>("lk_at_whatever0000"));
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransport);
  EXPECT_FALSE(response.error().refused_by_server());
  EXPECT_EQ(sends, 1);
}

// Test that the base URL's trailing slashes do not double up in request URLs.
TEST_F(ClientTest, JoinsBaseUrlAndPath) {
  Client client(std::string(kBaseUrl) + "//", server_.transport(), tokens_);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  EXPECT_EQ(server_.transport()->requests().back().url,
            std::string(kBaseUrl) + "/api/v1/account/me");
}

}  // namespace
}  // namespace latchkey::client
