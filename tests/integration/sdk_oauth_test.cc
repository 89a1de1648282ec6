// The SDK's OAuth client-credentials flow against a real latchkeyd: the
// example program, the single 401 retry after a revocation, failing loudly
// with the server's reason, and a real 429 (credential-stuffing throttle)
// waited out.
#include <gtest/gtest.h>

#include "integration/sdk_fixture.h"

namespace latchkey::testing {
namespace {

class SdkOAuth : public SdkTest {
 protected:
  // One free failure per client id: the second wrong secret blocks it 1 s.
  std::vector<std::string> server_args() override {
    return {"--auth-throttle-client-failures", "1"};
  }
  void SetUp() override {
    SdkTest::SetUp();
    user_ = create_user_with_credentials("sdk-oauth", "service", true);
  }

  std::shared_ptr<client::OAuthClientCredentialsTokenSource> source(std::string scope = "") {
    return std::make_shared<client::OAuthClientCredentialsTokenSource>(
        client::OAuthClientCredentialsOptions{
            .base_url = server_->url(),
            .credentials = {user_.client_id, user_.client_secret},
            .transport = transport_,
            .scope = std::move(scope),
            .retry = exact_retry(),
            .sleeper = server_clock_sleeper(),
        });
  }
  HttpResult oauth_token(const std::string& secret) {
    return post(
        "/oauth/token",
        {basic_header(user_.client_id, secret), "Content-Type: application/x-www-form-urlencoded"},
        "grant_type=client_credentials");
  }

  Credentials user_;
};

// Test that the example exchanges the credentials from its environment for
// a token of the asked scope and calls the server as the client's user.
TEST_F(SdkOAuth, ExampleCallsTheServer) {
  const ExampleRun run =
      run_example("sdk_oauth_client_credentials", {{"LATCHKEY_URL", server_->url()},
                                                   {"LATCHKEY_CLIENT_ID", user_.client_id},
                                                   {"LATCHKEY_CLIENT_SECRET", user_.client_secret},
                                                   {"LATCHKEY_SCOPE", "read"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(user_.user_id), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("granted scope: read"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(user_.client_secret), std::string::npos);
  EXPECT_EQ(run.err.find(user_.client_secret), std::string::npos);
}

// Test the single 401 retry: the token in use is revoked (RFC 7009); the
// next call is refused once, the SDK exchanges once more and replays.
TEST_F(SdkOAuth, RetriesOnceAfterTheTokenIsRevoked) {
  auto tokens = source();
  client::Client client(server_->url(), transport_, tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  const std::string revoked = tokens->get()->access_token;
  ASSERT_EQ(post("/oauth/revoke",
                 {basic_header(user_.client_id, user_.client_secret),
                  "Content-Type: application/x-www-form-urlencoded"},
                 "token=" + revoked)
                .status,
            200);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_EQ(tokens->granted_scope(), "read write");
}

// Test that a user whose API access is switched off fails loudly: one
// re-exchange, refused with the server's reason api_access_disabled.
TEST_F(SdkOAuth, DisabledApiAccessFailsLoudWithTheReason) {
  auto tokens = source();
  client::Client client(server_->url(), transport_, tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  ASSERT_EQ(patch_user(user_.user_id, R"({"api_access": false})").status, 200);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, client::ErrorKind::kHttp);
  EXPECT_EQ(response.error().status, 401);
  EXPECT_EQ(response.error().error, "invalid_client");
  EXPECT_EQ(response.error().reason, "api_access_disabled");
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_EQ(response.error().message().find(user_.client_secret), std::string::npos);
}

// Test a real 429: after two wrong secrets the client id is blocked for
// 1 s; the SDK waits (the sleeper moves the server's clock) and gets its
// token.
TEST_F(SdkOAuth, RealRateLimitIsWaitedOut) {
  std::string wrong = user_.client_secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(oauth_token(wrong).status, 401);
  EXPECT_EQ(oauth_token(wrong).status, 401);
  EXPECT_EQ(oauth_token(user_.client_secret).status, 429);
  auto tokens = source("read");
  auto token = tokens->get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(me(token->access_token).status, 200);
  ASSERT_FALSE(waits().empty());
  EXPECT_GE(waits()[0], std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace latchkey::testing
