#include "latchkey/client/account_token_source.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "unit/client/fake_account_server.h"

namespace latchkey::client {
namespace {

using testing::FakeAccountServer;
using testing::FakeTransport;
using testing::kBaseUrl;
using testing::kClientId;
using testing::kClientSecret;

constexpr std::int64_t kStart = 1'795'000'000;

class AccountTokenSourceTest : public ::testing::Test {
 protected:
  std::shared_ptr<AccountTokenSource> make_source(std::shared_ptr<TokenCache> cache = nullptr) {
    return std::make_shared<AccountTokenSource>(AccountTokenSourceOptions{
        .base_url = kBaseUrl,
        .credentials = {kClientId, kClientSecret},
        .transport = server_.transport(),
        .cache = std::move(cache),
        .clock = [this] { return now_; },
    });
  }

  FakeAccountServer server_;
  std::int64_t now_ = kStart;
};

// Test that the exchange sends the Client ID and Secret as HTTP Basic to
// POST /api/v1/account/token and caches the expiry from expires_in.
TEST_F(AccountTokenSourceTest, ExchangesCredentialsWithBasicAuth) {
  auto source = make_source();
  auto token = source->get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(token->access_token, server_.current_token());
  EXPECT_EQ(token->expires_at_unix, kStart + 3600);
  const auto requests = server_.transport()->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, std::string(kBaseUrl) + "/api/v1/account/token");
  // base64("cli_AAAAAAAAAAAAAAAAAAAA:lk_sec_TopSecret...")
  EXPECT_TRUE(testing::authorization_of(requests[0]).starts_with("Basic Y2xpX0FBQUFB"));
}

// Test that a cached token is reused until 80 % of its lifetime has passed
// (3600 s: the refresh point is 2880 s), then replaced by one new exchange.
TEST_F(AccountTokenSourceTest, ReusesCachedTokenUntilTheRefreshPoint) {
  auto source = make_source();
  auto first = source->get();
  ASSERT_TRUE(first.has_value());
  now_ += 2880 - 1;
  auto second = source->get();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->access_token, first->access_token);
  EXPECT_EQ(server_.token_posts(), 1u);
  now_ += 1;
  auto third = source->get();
  ASSERT_TRUE(third.has_value());
  EXPECT_NE(third->access_token, first->access_token);
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that an expired token (or one inside the safety margin) is replaced
// by a new POST.
TEST_F(AccountTokenSourceTest, ExpiredTokenTriggersNewExchange) {
  auto source = make_source();
  auto first = source->get();
  ASSERT_TRUE(first.has_value());
  now_ += 3600 - 60;  // inside the margin
  auto second = source->get();
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->access_token, first->access_token);
  EXPECT_EQ(server_.token_posts(), 2u);
  now_ += 10 * 3600;  // long expired
  ASSERT_TRUE(source->get().has_value());
  EXPECT_EQ(server_.token_posts(), 3u);
}

// Test that refresh() always issues a new token, even when the cached one is valid.
TEST_F(AccountTokenSourceTest, RefreshForcesNewToken) {
  auto source = make_source();
  auto first = source->get();
  auto second = source->refresh();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->access_token, second->access_token);
  EXPECT_EQ(source->get()->access_token, second->access_token);
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that a token found in the shared cache that differs from the rejected
// one is used instead of superseding it with yet another exchange.
TEST_F(AccountTokenSourceTest, RefreshAfterRejectionPrefersNewerSharedToken) {
  auto cache = std::make_shared<MemoryTokenCache>();
  auto ours = make_source(cache);
  auto theirs = make_source(cache);
  auto stale = ours->get();
  ASSERT_TRUE(stale.has_value());
  auto newer = theirs->refresh();  // another process sharing the cache
  ASSERT_TRUE(newer.has_value());
  auto replacement = ours->refresh_after_rejection(stale->access_token);
  ASSERT_TRUE(replacement.has_value());
  EXPECT_EQ(replacement->access_token, newer->access_token);
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that refresh_after_rejection issues exactly one new token when the
// cache only holds the rejected one.
TEST_F(AccountTokenSourceTest, RefreshAfterRejectionIssuesOnce) {
  auto source = make_source();
  auto stale = source->get();
  ASSERT_TRUE(stale.has_value());
  auto fresh = source->refresh_after_rejection(stale->access_token);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_NE(fresh->access_token, stale->access_token);
  EXPECT_EQ(server_.token_posts(), 2u);
}

// Test that concurrent callers in one process share a single exchange
// instead of superseding each other's tokens.
TEST_F(AccountTokenSourceTest, ConcurrentGetsShareOneExchange) {
  auto source = make_source();
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&source] { EXPECT_TRUE(source->get().has_value()); });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(server_.token_posts(), 1u);
}

// Test that rejected credentials give the server's invalid_client error,
// after exactly one POST.
TEST_F(AccountTokenSourceTest, RejectedCredentialsAreReported) {
  auto source = std::make_shared<AccountTokenSource>(AccountTokenSourceOptions{
      .base_url = kBaseUrl,
      .credentials = {kClientId,
                      "lk_"
                      "sec_WrongSecretWrongSecretWrongSecret000000000000000"},
      .transport = server_.transport(),
      .clock = [this] { return now_; },
  });
  auto token = source->get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kHttp);
  EXPECT_EQ(token.error().status, 401);
  EXPECT_EQ(token.error().error, "invalid_client");
  EXPECT_TRUE(token.error().refused_by_server());
  EXPECT_EQ(server_.token_posts(), 1u);
}

// Test that missing credentials fail locally without any request.
TEST_F(AccountTokenSourceTest, MissingCredentialsAreAUsageError) {
  auto source = std::make_shared<AccountTokenSource>(AccountTokenSourceOptions{
      .base_url = kBaseUrl, .credentials = {kClientId, ""}, .transport = server_.transport()});
  auto token = source->get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kUsage);
  EXPECT_TRUE(server_.transport()->requests().empty());
}

// Test that token responses without the documented shape are refused.
TEST_F(AccountTokenSourceTest, MalformedTokenResponsesAreBadResponses) {
  const std::vector<std::string> bodies = {
      "not json",
      R"({"token_type":"bearer","expires_in":10})",
      R"({"access_token":"lk_at_x","token_type":"mac","expires_in":10})",
      R"({"access_token":"lk_at_x","token_type":"bearer"})",
      R"({"access_token":"lk_at_x","token_type":"bearer","expires_in":-1})",
      R"({"access_token":"bad token\r\nX-Evil: 1","token_type":"bearer","expires_in":10})",
  };
  for (const auto& body : bodies) {
    auto transport = std::make_shared<FakeTransport>(
        [&body](const HttpRequest&) { return FakeTransport::json(200, body); });
    AccountTokenSource source(
        {.base_url = kBaseUrl, .credentials = {kClientId, kClientSecret}, .transport = transport});
    auto token = source.get();
    ASSERT_FALSE(token.has_value()) << body;
    EXPECT_EQ(token.error().kind, ErrorKind::kBadResponse) << body;
  }
}

// Test that a transport failure is reported as such, without the secret.
TEST_F(AccountTokenSourceTest, TransportErrorsPassThroughScrubbed) {
  auto transport = std::make_shared<FakeTransport>([](const HttpRequest&) -> Result<HttpResponse> {
    return std::unexpected(ClientError{.kind = ErrorKind::kTransport,
                                       .description = std::string("refused ") + kClientSecret});
  });
  AccountTokenSource source(
      {.base_url = kBaseUrl, .credentials = {kClientId, kClientSecret}, .transport = transport});
  auto token = source.get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kTransport);
  EXPECT_EQ(token.error().message().find(kClientSecret), std::string::npos);
}

}  // namespace
}  // namespace latchkey::client
