// The SDK's API-key flows against a real latchkeyd: seed 004's
// /v2/auth/token/access and seed 003's /auth/login with a session id. The
// example programs, a real 429 from a tiny per-key rate limit waited out
// (and one the budget refuses), the single 401 retry after a forced
// revocation, and typed errors with the server's reason.
#include <gtest/gtest.h>

#include "integration/sdk_fixture.h"

namespace latchkey::testing {
namespace {

using std::chrono::milliseconds;

class SdkApiKey : public SdkTest {
 protected:
  void SetUp() override {
    SdkTest::SetUp();
    owner_ = create_user_with_credentials("sdk-key-owner", "service", true);
    key_ = create_key(owner_, "sdk");
  }

  std::shared_ptr<client::ApiKeyTokenSource> source(
      std::optional<std::string> session = std::nullopt,
      client::RetryPolicy retry = exact_retry()) {
    return std::make_shared<client::ApiKeyTokenSource>(client::ApiKeyTokenSourceOptions{
        .base_url = server_->url(),
        .api_key = key_.secret,
        .transport = transport_,
        .session_id = std::move(session),
        .retry = retry,
        .sleeper = server_clock_sleeper(),
    });
  }
  client::Client client_for(std::shared_ptr<client::TokenSource> tokens,
                            client::RetryPolicy retry = exact_retry()) {
    return client::Client(server_->url(), transport_, std::move(tokens),
                          {.retry = retry, .sleeper = server_clock_sleeper()});
  }
  // An administrator gives the key a tiny rate limit (docs/rate-limits.md).
  void limit_key(int per_minute) {
    HttpResult r = send("PUT", "/api/v1/keys/" + key_.id + "/limits",
                        {bearer_header(admin_token()), "Content-Type: application/json"},
                        R"({"requests_per_minute": )" + std::to_string(per_minute) + "}");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // RFC 7009 revocation of one JWT by its owner.
  void revoke(const std::string& token) {
    HttpResult r = post("/oauth/revoke",
                        {basic_header(owner_.client_id, owner_.client_secret),
                         "Content-Type: application/x-www-form-urlencoded"},
                        "token=" + token);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  Credentials owner_;
  ApiKey key_;
};

// Test that the seed 004 example exchanges the key from its environment and
// calls the server as the key's owner, printing no key.
TEST_F(SdkApiKey, AccessExampleCallsTheServer) {
  const ExampleRun run = run_example("sdk_api_key_exchange", {{"LATCHKEY_URL", server_->url()},
                                                              {"LATCHKEY_API_KEY", key_.secret}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(owner_.user_id), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(key_.secret), std::string::npos);
  EXPECT_EQ(run.err.find(key_.secret), std::string::npos);
}

// Test that the seed 003 example logs in on its session, and that the
// session is the one the server lists.
TEST_F(SdkApiKey, LoginExampleUsesItsSession) {
  const ExampleRun run = run_example("sdk_api_key_login", {{"LATCHKEY_URL", server_->url()},
                                                           {"LATCHKEY_API_KEY", key_.secret},
                                                           {"LATCHKEY_SESSION_ID", "worker-7"}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(owner_.user_id), std::string::npos) << run.out;
  HttpResult sessions =
      get("/api/v1/keys/" + key_.id + "/sessions", {bearer_header(issue_token(owner_))});
  ASSERT_EQ(sessions.status, 200) << sessions.body;
  ASSERT_EQ(json_of(sessions)["sessions"].size(), 1u);
  EXPECT_EQ(json_of(sessions)["sessions"][0]["session_id"], "worker-7");
}

// Test that an invalid key makes the example fail with the typed error and
// the server's reason, never printing the key.
TEST_F(SdkApiKey, AccessExampleWithARevokedKeyFailsWithTheReason) {
  ASSERT_EQ(
      post("/api/v1/keys/" + key_.id + "/deactivate", {bearer_header(issue_token(owner_))}).status,
      200);
  const ExampleRun run = run_example("sdk_api_key_exchange", {{"LATCHKEY_URL", server_->url()},
                                                              {"LATCHKEY_API_KEY", key_.secret}});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("revoked"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find(key_.secret), std::string::npos) << run.err;
}

// Test that two sources on the same login session get the same token (seed
// 003: the session's token while it is valid).
TEST_F(SdkApiKey, SameSessionSameToken) {
  auto a = source("shared-session")->get();
  auto b = source("shared-session")->get();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->access_token, b->access_token);
  EXPECT_EQ(a->expires_at_unix - a->issued_at_unix, 7200);
}

// Test a real 429: with 3 requests per minute, the exchange and two calls
// pass, the third call is refused with Retry-After; the SDK waits that
// long (the sleeper moves the server's clock) and the call succeeds.
TEST_F(SdkApiKey, RealRateLimitIsWaitedOut) {
  limit_key(3);
  client::RetryPolicy retry = exact_retry();
  retry.max_total_wait = milliseconds(120'000);
  auto tokens = source(std::nullopt, retry);
  client::Client client = client_for(tokens, retry);
  for (int i = 0; i < 3; ++i) {
    auto response = client.call("GET", "/api/v1/account/me");
    ASSERT_TRUE(response.has_value()) << i << ": " << response.error().message();
  }
  ASSERT_EQ(waits().size(), 1u);
  EXPECT_GE(waits()[0], milliseconds(1000));
  EXPECT_LE(waits()[0], milliseconds(60'000));
  EXPECT_EQ(tokens->exchange_count(), 1u);
}

// Test that a Retry-After beyond the budget is not waited: the call fails
// at once with kRateLimited and the server's retry_after.
TEST_F(SdkApiKey, RateLimitBeyondTheBudgetIsATypedError) {
  limit_key(2);
  client::RetryPolicy retry = exact_retry();
  retry.max_total_wait = milliseconds(5'000);
  auto tokens = source(std::nullopt, retry);
  client::Client client = client_for(tokens, retry);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  auto refused = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, client::ErrorKind::kRateLimited);
  EXPECT_EQ(refused.error().status, 429);
  EXPECT_EQ(refused.error().error, "rate_limited");
  ASSERT_TRUE(refused.error().retry_after.has_value());
  EXPECT_GT(*refused.error().retry_after, std::chrono::seconds(5));
  EXPECT_TRUE(waits().empty());
}

// Test the single 401 retry: the JWT in use is revoked; the next call is
// refused once, the SDK exchanges the key once more and replays.
TEST_F(SdkApiKey, RetriesOnceAfterTheTokenIsRevoked) {
  auto tokens = source();
  client::Client client = client_for(tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  const std::string revoked = tokens->get()->access_token;
  revoke(revoked);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_NE(tokens->get()->access_token, revoked);
}

// Test the login flow's single 401 retry: the server's clock jumps past the
// session token's expiry (a skewed client still thinks it fresh); the call
// is refused with reason "expired", the SDK logs in once more on the same
// session, which issues a new token, and replays. (Revoking a login token
// revokes its session instead: RevokedSessionFailsLoudWithTheReason.)
TEST_F(SdkApiKey, LoginRetriesOnceAfterTheTokenExpired) {
  auto tokens = source("s2");
  client::Client client = client_for(tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  const std::string expired = tokens->get()->access_token;
  server_->advance_clock_seconds(7201);
  ASSERT_EQ(me(expired).status, 401);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_NE(tokens->get()->access_token, expired);
}

// Test a real 429 on the login flow: the login itself is refused by the
// key's limit, waited out, then succeeds.
TEST_F(SdkApiKey, LoginRealRateLimitIsWaitedOut) {
  limit_key(1);
  client::RetryPolicy retry = exact_retry();
  retry.max_total_wait = milliseconds(120'000);
  auto first = source("s3", retry)->get();  // uses the one request of the minute
  ASSERT_TRUE(first.has_value()) << first.error().message();
  auto second = source("s4", retry)->get();  // a new session: a new login, refused at first
  ASSERT_TRUE(second.has_value()) << second.error().message();
  ASSERT_EQ(waits().size(), 1u);
  EXPECT_GE(waits()[0], milliseconds(1000));
  EXPECT_NE(first->access_token, second->access_token);
}

// Test that a deactivated key fails loudly: the call's 401 leads to one
// re-exchange, which the server refuses with reason "revoked".
TEST_F(SdkApiKey, DeactivatedKeyFailsLoudWithTheReason) {
  auto tokens = source();
  client::Client client = client_for(tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  ASSERT_EQ(
      post("/api/v1/keys/" + key_.id + "/deactivate", {bearer_header(issue_token(owner_))}).status,
      200);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().status, 401);
  EXPECT_EQ(response.error().reason, "revoked");
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_EQ(response.error().message().find(key_.secret), std::string::npos);
}

// Test that a revoked login session fails loudly after its one re-login,
// with the server's 409 session_revoked.
TEST_F(SdkApiKey, RevokedSessionFailsLoudWithTheReason) {
  auto tokens = source("s1");
  client::Client client = client_for(tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  ASSERT_EQ(send("DELETE", "/api/v1/keys/" + key_.id + "/sessions/s1",
                 {bearer_header(issue_token(owner_))})
                .status,
            204);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().status, 409);
  EXPECT_EQ(response.error().reason, "session_revoked");
  EXPECT_EQ(tokens->exchange_count(), 2u);
}

}  // namespace
}  // namespace latchkey::testing
