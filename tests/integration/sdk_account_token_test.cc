// The SDK's account-token flow (seed 000) against a real latchkeyd: the
// example program, the single 401 retry after a forced supersede, failing
// loudly with the server's reason when the token keeps being superseded, and
// a real 429 (credential-stuffing throttle) waited out.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "integration/sdk_fixture.h"

namespace latchkey::testing {
namespace {

class SdkAccountToken : public SdkTest {
 protected:
  // One free failure per client id: the second wrong secret blocks it 1 s.
  std::vector<std::string> server_args() override {
    return {"--auth-throttle-client-failures", "1"};
  }

  std::shared_ptr<client::AccountTokenSource> source(const Credentials& c,
                                                     std::shared_ptr<client::Transport> t = {}) {
    return std::make_shared<client::AccountTokenSource>(client::AccountTokenSourceOptions{
        .base_url = server_->url(),
        .credentials = {c.client_id, c.client_secret},
        .transport = t ? t : transport_,
        .retry = exact_retry(),
        .sleeper = server_clock_sleeper(),
    });
  }
};

// Plays another process with the same credentials: after every token the
// SDK obtains, it obtains one more, superseding the SDK's at once.
class RivalTransport final : public client::Transport {
 public:
  RivalTransport(std::shared_ptr<client::Transport> inner, std::function<void()> rival)
      : inner_(std::move(inner)), rival_(std::move(rival)) {}
  client::Result<client::HttpResponse> send(const client::HttpRequest& request) override {
    auto response = inner_->send(request);
    if (response && response->status == 200 && request.url.ends_with("/api/v1/account/token")) {
      rival_();
    }
    return response;
  }

 private:
  std::shared_ptr<client::Transport> inner_;
  std::function<void()> rival_;
};

// Test that the example reads its credentials from the environment, calls
// the server as the account, caches the token (0600) and re-uses it on the
// next run instead of superseding it, and prints no secret.
TEST_F(SdkAccountToken, ExampleCallsTheServerWithCredentialsFromTheEnvironment) {
  const Credentials user = create_user_with_credentials("sdk-account", "service", true);
  const std::vector<std::pair<std::string, std::string>> env = {
      {"LATCHKEY_URL", server_->url()},
      {"LATCHKEY_CLIENT_ID", user.client_id},
      {"LATCHKEY_CLIENT_SECRET", user.client_secret}};
  const ExampleRun first = run_example("sdk_account_token", env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find(user.user_id), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("sdk-account"), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find(user.client_secret), std::string::npos);
  EXPECT_EQ(first.err.find(user.client_secret), std::string::npos);

  const std::string cache = server_->data_dir() + "/latchkey-token.json";
  const auto perms = std::filesystem::status(cache).permissions() & std::filesystem::perms::all;
  EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ifstream in(cache);
  const Json cached_file =
      Json::parse(std::string(std::istreambuf_iterator<char>(in), {}), nullptr, false);
  const std::string cached = cached_file.is_object() ? cached_file.value("access_token", "") : "";
  ASSERT_FALSE(cached.empty());
  const ExampleRun second = run_example("sdk_account_token", env);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(me(cached).status, 200) << "the second run must re-use the cached token";
}

// Test that the example names the missing variable and exits 2.
TEST_F(SdkAccountToken, ExampleWithoutCredentialsSaysWhatIsMissing) {
  const ExampleRun run = run_example("sdk_account_token", {{"LATCHKEY_URL", server_->url()}});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("LATCHKEY_CLIENT_ID"), std::string::npos) << run.err;
}

// Test the single 401 retry: another process supersedes the SDK's token;
// the next call is refused once, the SDK exchanges once and replays.
TEST_F(SdkAccountToken, RetriesOnceAfterAForcedSupersede) {
  const Credentials user = create_user_with_credentials("sdk-supersede", "service", true);
  auto tokens = source(user);
  client::Client client(server_->url(), transport_, tokens);
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  const std::string before = tokens->get()->access_token;
  issue_token(user, "another-process");  // supersedes the SDK's token
  EXPECT_EQ(me(before).status, 401);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_NE(tokens->get()->access_token, before);
}

// Test that when the replayed request is refused again (a rival keeps
// superseding), the call fails loudly after exactly one re-exchange, with
// the server's reason "superseded" and no secret in the message.
TEST_F(SdkAccountToken, PersistentSupersedeFailsLoudWithTheReason) {
  const Credentials user = create_user_with_credentials("sdk-rival", "service", true);
  auto rival = std::make_shared<RivalTransport>(
      transport_, [this, user] { issue_token(user, "rival-process"); });
  auto tokens = source(user, rival);
  client::Client client(server_->url(), rival, tokens);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  const client::ClientError& error = response.error();
  EXPECT_EQ(error.kind, client::ErrorKind::kTokenRejectedAfterRefresh);
  EXPECT_EQ(error.status, 401);
  EXPECT_EQ(error.reason, "superseded");
  EXPECT_EQ(tokens->exchange_count(), 2u);
  EXPECT_EQ(error.message().find(user.client_secret), std::string::npos);
}

// Test a real 429: after two wrong secrets the server blocks the client id
// for 1 s (Retry-After: 1); the SDK waits (the test sleeper moves the
// server's clock), sends again and gets its token.
TEST_F(SdkAccountToken, RealRateLimitIsWaitedOut) {
  const Credentials user = create_user_with_credentials("sdk-throttled", "service", true);
  std::string wrong = user.client_secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(issue(user.client_id, wrong).status, 401);
  EXPECT_EQ(issue(user.client_id, wrong).status, 401);
  EXPECT_EQ(issue(user.client_id, user.client_secret).status, 429);

  auto tokens = source(user);
  auto token = tokens->get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(me(token->access_token).status, 200);
  ASSERT_FALSE(waits().empty());
  EXPECT_GE(waits()[0], std::chrono::milliseconds(1000));
}

// Test that a 429 the policy may not wait out is a typed error with the
// server's Retry-After.
TEST_F(SdkAccountToken, RateLimitWithoutRetriesIsATypedError) {
  const Credentials user = create_user_with_credentials("sdk-no-retry", "service", true);
  std::string wrong = user.client_secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(issue(user.client_id, wrong).status, 401);
  EXPECT_EQ(issue(user.client_id, wrong).status, 401);
  client::AccountTokenSource tokens({.base_url = server_->url(),
                                     .credentials = {user.client_id, user.client_secret},
                                     .transport = transport_,
                                     .retry = {.max_attempts = 1},
                                     .sleeper = server_clock_sleeper()});
  auto token = tokens.get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, client::ErrorKind::kRateLimited);
  EXPECT_EQ(token.error().status, 429);
  ASSERT_TRUE(token.error().retry_after.has_value());
  EXPECT_GE(token.error().retry_after->count(), 1);
  EXPECT_TRUE(waits().empty());
}

}  // namespace
}  // namespace latchkey::testing
