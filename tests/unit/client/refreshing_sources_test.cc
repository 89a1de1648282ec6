// The behaviour every credential-exchanging token source shares
// (RefreshingTokenSource), run against each of the four flows: refresh at
// 80 % of the lifetime, single flight, the single 401 retry, 429 with
// Retry-After and bounded back-off, and typed errors without secrets.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "latchkey/client/client.h"
#include "unit/client/fake_token_server.h"

namespace latchkey::client {
namespace {

using std::chrono::milliseconds;
using testing::Flow;
using testing::kApiKey;
using testing::kBaseUrl;
using testing::kClientId;
using testing::kClientSecret;

constexpr std::int64_t kStart = 1'795'000'000;

// Records every wait instead of sleeping.
class RecordingSleeper {
 public:
  Sleeper sleeper() {
    return [this](milliseconds wait) {
      std::lock_guard lock(mu_);
      waits_.push_back(wait);
    };
  }
  std::vector<milliseconds> waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<milliseconds> waits_;
};

// The settings every source under test gets, whatever its flow.
struct Common {
  UnixClock clock;
  Sleeper sleeper;
  RetryPolicy retry;
  double refresh_at_fraction = 0.8;
  std::function<void(const ClientError&)> on_refresh_error;
};

template <class Options>
Options with_common(Options options, const Common& common) {
  options.clock = common.clock;
  options.sleeper = common.sleeper;
  options.retry = common.retry;
  options.refresh_at_fraction = common.refresh_at_fraction;
  options.on_refresh_error = common.on_refresh_error;
  return options;
}

std::shared_ptr<RefreshingTokenSource> make_source(Flow flow, std::shared_ptr<Transport> transport,
                                                   const Common& common) {
  switch (flow) {
    case Flow::kAccount:
      return std::make_shared<AccountTokenSource>(
          with_common(AccountTokenSourceOptions{.base_url = kBaseUrl,
                                                .credentials = {kClientId, kClientSecret},
                                                .transport = std::move(transport)},
                      common));
    case Flow::kApiKeyAccess:
      return std::make_shared<ApiKeyTokenSource>(with_common(
          ApiKeyTokenSourceOptions{
              .base_url = kBaseUrl, .api_key = kApiKey, .transport = std::move(transport)},
          common));
    case Flow::kApiKeyLogin:
      return std::make_shared<ApiKeyTokenSource>(
          with_common(ApiKeyTokenSourceOptions{.base_url = kBaseUrl,
                                               .api_key = kApiKey,
                                               .transport = std::move(transport),
                                               .session_id = "worker-7"},
                      common));
    case Flow::kOAuth:
      return std::make_shared<OAuthClientCredentialsTokenSource>(
          with_common(OAuthClientCredentialsOptions{.base_url = kBaseUrl,
                                                    .credentials = {kClientId, kClientSecret},
                                                    .transport = std::move(transport),
                                                    .scope = "read"},
                      common));
  }
  return nullptr;
}

class RefreshingSourcesTest : public ::testing::TestWithParam<Flow> {
 protected:
  RefreshingSourcesTest() : server_(GetParam()) {
    common_.clock = [this] { return now_.load(); };
    common_.sleeper = sleeper_.sleeper();
    common_.retry.random = [] { return 0.0; };  // no jitter unless a test wants it
  }

  std::shared_ptr<RefreshingTokenSource> source() {
    return make_source(GetParam(), server_.transport(), common_);
  }

  testing::FakeTokenServer server_;
  std::atomic<std::int64_t> now_{kStart};
  RecordingSleeper sleeper_;
  Common common_;
};

// Test that a token is re-used until 80 % of its lifetime has passed and
// replaced by exactly one exchange at that point (1000 s: at 800 s).
TEST_P(RefreshingSourcesTest, RefreshesAtEightyPercentOfTheLifetime) {
  auto tokens = source();
  auto first = tokens->get();
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_EQ(first->issued_at_unix, kStart);
  EXPECT_EQ(first->expires_at_unix, kStart + 1000);
  now_ += 799;
  auto still = tokens->get();
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->access_token, first->access_token);
  EXPECT_EQ(server_.exchanges(), 1u);
  now_ += 1;
  auto renewed = tokens->get();
  ASSERT_TRUE(renewed.has_value());
  EXPECT_NE(renewed->access_token, first->access_token);
  EXPECT_EQ(server_.exchanges(), 2u);
  EXPECT_EQ(tokens->exchange_count(), 2u);
}

// Test that the refresh point is configurable (0.5: at 500 s of 1000 s).
TEST_P(RefreshingSourcesTest, RefreshFractionIsConfigurable) {
  common_.refresh_at_fraction = 0.5;
  auto tokens = source();
  ASSERT_TRUE(tokens->get().has_value());
  now_ += 499;
  ASSERT_TRUE(tokens->get().has_value());
  EXPECT_EQ(server_.exchanges(), 1u);
  now_ += 1;
  ASSERT_TRUE(tokens->get().has_value());
  EXPECT_EQ(server_.exchanges(), 2u);
}

// Test that a fraction outside (0, 1] falls back to the default 0.8.
TEST_P(RefreshingSourcesTest, RefreshFractionOutOfRangeMeansTheDefault) {
  for (const double fraction : {0.0, -1.0, 1.5}) {
    common_.refresh_at_fraction = fraction;
    auto tokens = source();
    const std::int64_t start = now_.load();
    ASSERT_TRUE(tokens->get().has_value());
    now_ = start + 799;
    ASSERT_TRUE(tokens->get().has_value());
    EXPECT_EQ(tokens->exchange_count(), 1u) << fraction;
    now_ = start + 800;
    ASSERT_TRUE(tokens->get().has_value());
    EXPECT_EQ(tokens->exchange_count(), 2u) << fraction;
  }
}

// Test that 16 threads asking at once, while the exchange is held open
// until all of them have started, cause exactly one exchange and all get
// its token.
TEST_P(RefreshingSourcesTest, SixteenThreadsCauseOneExchange) {
  constexpr int kThreads = 16;
  std::atomic<int> started{0};
  std::mutex mu;
  std::condition_variable all_started;
  server_.on_exchange([&] {
    std::unique_lock lock(mu);
    all_started.wait(lock, [&] { return started.load() == kThreads; });
  });
  auto tokens = source();
  std::latch gate(kThreads);
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      gate.arrive_and_wait();
      {
        std::lock_guard lock(mu);
        ++started;
      }
      all_started.notify_all();
      auto token = tokens->get();
      if (token) got[i] = token->access_token;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(server_.exchanges(), 1u);
  for (const auto& token : got) EXPECT_EQ(token, server_.newest_token());
}

// Test that while one thread refreshes a token past its refresh point,
// others keep the still-valid token instead of waiting or exchanging too.
TEST_P(RefreshingSourcesTest, OthersKeepTheValidTokenDuringARefresh) {
  auto tokens = source();
  auto first = tokens->get();
  ASSERT_TRUE(first.has_value());
  now_ += 850;  // past the refresh point, 150 s before expiry
  std::latch in_exchange(1);
  std::latch release(1);
  server_.on_exchange([&] {
    in_exchange.count_down();
    release.wait();
  });
  std::thread refresher([&] { EXPECT_TRUE(tokens->get().has_value()); });
  in_exchange.wait();
  auto meanwhile = tokens->get();  // must not block: the exchange is held open
  ASSERT_TRUE(meanwhile.has_value());
  EXPECT_EQ(meanwhile->access_token, first->access_token);
  release.count_down();
  refresher.join();
  EXPECT_EQ(server_.exchanges(), 2u);
  EXPECT_NE(tokens->get()->access_token, first->access_token);
}

// Test that a failed proactive refresh hands out the still-valid token and
// reports the error, and that an expired token is never handed out.
TEST_P(RefreshingSourcesTest, FailedRefreshFallsBackToTheValidToken) {
  std::vector<ClientError> reported;
  common_.on_refresh_error = [&](const ClientError& e) { reported.push_back(e); };
  auto tokens = source();
  auto first = tokens->get();
  ASSERT_TRUE(first.has_value());
  server_.refuse_exchanges(503, R"({"error":"temporarily_unavailable"})");
  now_ += 900;
  auto kept = tokens->get();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->access_token, first->access_token);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].status, 503);
  now_ += 100;  // expired now
  auto none = tokens->get();
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().status, 503);
}

// Test that a failed proactive refresh is not retried on every get(): the
// valid token is handed out for kFailedRefreshPauseSeconds, then one more
// exchange is tried.
TEST_P(RefreshingSourcesTest, FailedRefreshPausesBeforeTheNextAttempt) {
  auto tokens = source();
  ASSERT_TRUE(tokens->get().has_value());
  server_.refuse_exchanges(503, R"({"error":"temporarily_unavailable"})");
  now_ += 850;
  ASSERT_TRUE(tokens->get().has_value());
  const std::uint64_t after_failure = tokens->exchange_count();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(tokens->get().has_value());
  now_ += RefreshingTokenSource::kFailedRefreshPauseSeconds - 1;
  ASSERT_TRUE(tokens->get().has_value());
  EXPECT_EQ(tokens->exchange_count(), after_failure);
  now_ += 1;
  ASSERT_TRUE(tokens->get().has_value());
  EXPECT_EQ(tokens->exchange_count(), after_failure + 1);
}

// Test that on_refresh_error runs without the source's lock: a callback
// that calls back into the source does not deadlock.
TEST_P(RefreshingSourcesTest, RefreshErrorCallbackMayCallTheSource) {
  std::shared_ptr<RefreshingTokenSource> tokens;
  std::uint64_t seen = 0;
  common_.on_refresh_error = [&](const ClientError&) { seen = tokens->exchange_count(); };
  tokens = source();
  ASSERT_TRUE(tokens->get().has_value());
  server_.refuse_exchanges(503, R"({"error":"temporarily_unavailable"})");
  now_ += 850;
  ASSERT_TRUE(tokens->get().has_value());
  EXPECT_EQ(seen, 2u);
}

// Test the single 401 retry: the call is replayed once with a new token
// and succeeds.
TEST_P(RefreshingSourcesTest, ClientRetriesOnceOn401) {
  auto tokens = source();
  Client client(kBaseUrl, server_.transport(), tokens,
                {.sleeper = sleeper_.sleeper(), .clock = common_.clock});
  ASSERT_TRUE(client.call("GET", "/api/v1/account/me").has_value());
  // Another token was issued elsewhere: ours is now superseded.
  ASSERT_TRUE(make_source(GetParam(), server_.transport(), common_)->get().has_value());
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(server_.exchanges(), 3u);  // ours, the rival's, our one re-exchange
  EXPECT_EQ(server_.calls(), 3u);      // ok, 401, replay
}

// Test that a second 401 fails loudly with a typed error carrying the
// server's reason, after exactly one re-exchange and one replay.
TEST_P(RefreshingSourcesTest, SecondUnauthorizedIsATypedErrorWithTheReason) {
  auto tokens = source();
  Client client(kBaseUrl, server_.transport(), tokens,
                {.sleeper = sleeper_.sleeper(), .clock = common_.clock});
  server_.refuse_all_calls(true);
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_FALSE(response.has_value());
  const ClientError& error = response.error();
  EXPECT_EQ(error.kind, ErrorKind::kTokenRejectedAfterRefresh);
  EXPECT_EQ(error.status, 401);
  EXPECT_EQ(error.error, "invalid_token");
  EXPECT_EQ(error.reason, "superseded");
  EXPECT_EQ(server_.exchanges(), 2u);
  EXPECT_EQ(server_.calls(), 2u);
}

// Test that a 429 on the exchange is waited out for Retry-After (seconds),
// each wait recorded by the sleeper, then the token is issued.
TEST_P(RefreshingSourcesTest, ExchangeHonoursRetryAfterSeconds) {
  server_.throttle_exchanges(2, "3");
  auto tokens = source();
  auto token = tokens->get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(sleeper_.waits(), (std::vector<milliseconds>{milliseconds(3000), milliseconds(3000)}));
  EXPECT_EQ(server_.exchanges(), 3u);
  EXPECT_EQ(tokens->exchange_count(), 1u);  // one logical exchange, three requests
}

// Test that a Retry-After given as an HTTP-date is waited out relative to
// the injected clock.
TEST_P(RefreshingSourcesTest, ExchangeHonoursRetryAfterHttpDate) {
  now_ = 784'111'777 - 7;  // 7 s before Sun, 06 Nov 1994 08:49:37 GMT
  server_.throttle_exchanges(1, "Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(source()->get().has_value());
  EXPECT_EQ(sleeper_.waits(), std::vector<milliseconds>{milliseconds(7000)});
}

// Test that without Retry-After the waits grow exponentially from
// initial_backoff and stop at max_backoff.
TEST_P(RefreshingSourcesTest, ExchangeBacksOffExponentiallyWithoutRetryAfter) {
  common_.retry = RetryPolicy{.max_attempts = 6,
                              .initial_backoff = milliseconds(100),
                              .max_backoff = milliseconds(500),
                              .max_total_wait = milliseconds(10'000),
                              .random = [] { return 0.0; }};
  server_.throttle_exchanges(5, "");
  auto token = source()->get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(sleeper_.waits(),
            (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400),
                                       milliseconds(500), milliseconds(500)}));
}

// Test that the attempt count bounds the retries: after max_attempts the
// error is kRateLimited with status 429 and the server's retry_after.
TEST_P(RefreshingSourcesTest, ExchangeGivesUpAfterMaxAttempts) {
  common_.retry.max_attempts = 3;
  server_.throttle_exchanges(100, "2");
  auto token = source()->get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(token.error().status, 429);
  EXPECT_EQ(token.error().retry_after, std::chrono::seconds(2));
  EXPECT_EQ(sleeper_.waits().size(), 2u);
  EXPECT_EQ(server_.exchanges(), 3u);
}

// Test that a Retry-After beyond max_total_wait fails at once, without
// sleeping, and says how long the server asked to wait.
TEST_P(RefreshingSourcesTest, ExchangeGivesUpWhenTheWaitWouldExceedTheBudget) {
  server_.throttle_exchanges(100, "120");  // the default budget is 60 s
  auto token = source()->get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(token.error().retry_after, std::chrono::seconds(120));
  EXPECT_TRUE(sleeper_.waits().empty());
  EXPECT_EQ(server_.exchanges(), 1u);
}

// Test that the sum of waits never exceeds max_total_wait: the last wait is
// shortened to what is left, then the source gives up with kRateLimited.
TEST_P(RefreshingSourcesTest, WaitsNeverExceedTheBudget) {
  common_.retry = RetryPolicy{.max_attempts = 10,
                              .initial_backoff = milliseconds(40'000),
                              .max_backoff = milliseconds(100'000),
                              .max_total_wait = milliseconds(60'000),
                              .random = [] { return 0.0; }};
  server_.throttle_exchanges(100, "");
  auto token = source()->get();
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(sleeper_.waits(),
            (std::vector<milliseconds>{milliseconds(40'000), milliseconds(20'000)}));
  EXPECT_EQ(server_.exchanges(), 3u);
}

// Test that jitter never turns a Retry-After that fits the budget into a
// refusal: the jittered wait is cut to the budget.
TEST_P(RefreshingSourcesTest, JitterIsCutToTheBudget) {
  common_.retry.random = [] { return 0.999; };
  server_.throttle_exchanges(1, "55");
  ASSERT_TRUE(source()->get().has_value());
  EXPECT_EQ(sleeper_.waits(), std::vector<milliseconds>{milliseconds(60'000)});
}

// Test that jitter only lengthens a wait, by at most `jitter`.
TEST_P(RefreshingSourcesTest, JitterStaysWithinItsBound) {
  common_.retry.random = [] { return 0.999; };
  server_.throttle_exchanges(1, "10");
  ASSERT_TRUE(source()->get().has_value());
  ASSERT_EQ(sleeper_.waits().size(), 1u);
  EXPECT_GE(sleeper_.waits()[0], milliseconds(10'000));
  EXPECT_LE(sleeper_.waits()[0], milliseconds(12'000));
  EXPECT_GT(sleeper_.waits()[0], milliseconds(11'900));
}

// Test that Client::call waits out a 429 on an API call too.
TEST_P(RefreshingSourcesTest, ClientHonoursRetryAfterOnCalls) {
  auto tokens = source();
  Client client(kBaseUrl, server_.transport(), tokens,
                {.retry = {.random = [] { return 0.0; }},
                 .sleeper = sleeper_.sleeper(),
                 .clock = common_.clock});
  server_.throttle_calls(1, "4");
  auto response = client.call("GET", "/api/v1/account/me");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(sleeper_.waits(), std::vector<milliseconds>{milliseconds(4000)});
  EXPECT_EQ(server_.calls(), 2u);
}

// Test that a refused exchange is a typed error with the server's status,
// code and reason, and that no message contains the credential even when
// the server echoes it.
TEST_P(RefreshingSourcesTest, RefusalIsTypedAndNeverContainsTheSecret) {
  const std::string secret = GetParam() == Flow::kApiKeyAccess || GetParam() == Flow::kApiKeyLogin
                                 ? std::string(kApiKey)
                                 : std::string(kClientSecret);
  server_.refuse_exchanges(401, R"({"error":"invalid_token","error_description":"credential )" +
                                    secret + R"( was revoked","reason":"revoked","echo":")" +
                                    secret + "\"}");
  auto token = source()->get();
  ASSERT_FALSE(token.has_value());
  const ClientError& error = token.error();
  EXPECT_EQ(error.kind, ErrorKind::kHttp);
  EXPECT_EQ(error.status, 401);
  EXPECT_EQ(error.reason, "revoked");
  EXPECT_TRUE(error.refused_by_server());
  EXPECT_EQ(error.message().find(secret), std::string::npos) << error.message();
  EXPECT_EQ(error.message().find(secret.substr(0, 20)), std::string::npos) << error.message();
}

// Test that the issued token never appears in an error of a refused call.
TEST_P(RefreshingSourcesTest, CallErrorsNeverContainTheToken) {
  auto tokens = source();
  Client client(kBaseUrl, server_.transport(), tokens,
                {.sleeper = sleeper_.sleeper(), .clock = common_.clock});
  server_.refuse_all_calls(true);
  auto response = client.call("GET", "/x");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().message().find("tok1abcdefgh"), std::string::npos);
  EXPECT_EQ(response.error().message().find("tok2abcdefgh"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllFlows, RefreshingSourcesTest,
                         ::testing::Values(Flow::kAccount, Flow::kApiKeyAccess, Flow::kApiKeyLogin,
                                           Flow::kOAuth),
                         [](const auto& info) { return std::string(flow_name(info.param)); });

// A cache whose store() throws something that is not a std::exception.
class ThrowingCache final : public TokenCache {
 public:
  std::optional<Token> load() override { return std::nullopt; }
  Status store(const Token&) override { throw 42; }
  Status clear() override { return {}; }
};

// Test that a cache that throws does not break the source: the token just
// obtained is still handed out (as when store() reports an error).
TEST(RefreshingTokenSource, ThrowingCacheDoesNotEscape) {
  testing::FakeTokenServer server(Flow::kAccount);
  AccountTokenSource tokens(AccountTokenSourceOptions{.base_url = kBaseUrl,
                                                      .credentials = {kClientId, kClientSecret},
                                                      .transport = server.transport(),
                                                      .cache = std::make_shared<ThrowingCache>()});
  ASSERT_TRUE(tokens.get().has_value());
  ASSERT_TRUE(tokens.get().has_value());
  EXPECT_EQ(tokens.exchange_count(), 1u);
}

// An exchange that throws something that is not a std::exception.
class ThrowingSource final : public RefreshingTokenSource {
 public:
  ThrowingSource() : RefreshingTokenSource(RefreshSettings{}) {}

 private:
  Result<Token> exchange() override { throw 42; }
  std::vector<std::string_view> secrets() const override { return {}; }
};

// Test that an exchange that throws is contained: the caller gets an
// error, and the next caller is not left waiting for a flight that never
// lands.
TEST(RefreshingTokenSource, ThrowingExchangeNeitherEscapesNorHangsTheNextCaller) {
  ThrowingSource tokens;
  EXPECT_FALSE(tokens.get().has_value());
  EXPECT_FALSE(tokens.refresh().has_value());
  EXPECT_EQ(tokens.exchange_count(), 2u);
}

}  // namespace
}  // namespace latchkey::client
