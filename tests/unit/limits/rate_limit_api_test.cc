#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "accounts/client_authenticator.h"
#include "accounts/user_service.h"
#include "api/rate_limit.h"
#include "limits/limit_policy.h"
#include "store/store.h"
#include "support/counter_random.h"
#include "support/fake_clock.h"
#include "tokens/account_token_cache.h"
#include "tokens/account_token_service.h"

namespace latchkey::api {
namespace {

using std::chrono::seconds;
using Json = nlohmann::json;

std::string header(const http::Response& r, std::string_view name) {
  return std::string(r.header(name).value_or("<absent>"));
}

// Test that a rate refusal is a 429 JSON body naming the limit, with
// Retry-After and the three RateLimit-* headers.
TEST(RateLimitResponses, TooManyRequests) {
  limits::RateLimitState state{.admitted = false,
                               .limit = 60,
                               .remaining = 0,
                               .reset = seconds(42),
                               .retry_after = seconds(42)};
  const http::Response r = too_many_requests(state);
  EXPECT_EQ(r.status, 429);
  const Json body = Json::parse(r.body);
  EXPECT_EQ(body.at("error"), "rate_limited");
  EXPECT_FALSE(body.at("error_description").get<std::string>().empty());
  EXPECT_EQ(header(r, "Retry-After"), "42");
  EXPECT_EQ(header(r, "RateLimit-Limit"), "60");
  EXPECT_EQ(header(r, "RateLimit-Remaining"), "0");
  EXPECT_EQ(header(r, "RateLimit-Reset"), "42");
  EXPECT_EQ(header(r, "Content-Type").substr(0, 16), "application/json");
}

// Test the concurrency and throttle refusals.
TEST(RateLimitResponses, ConcurrencyAndAttempts) {
  const http::Response c = too_many_concurrent(5);
  EXPECT_EQ(c.status, 429);
  EXPECT_EQ(Json::parse(c.body).at("error"), "concurrency_limited");
  EXPECT_EQ(header(c, "Retry-After"), "1");
  const http::Response a = too_many_attempts(seconds(8));
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(Json::parse(a.body).at("error"), "too_many_attempts");
  EXPECT_EQ(header(a, "Retry-After"), "8");
}

// Test that admitted responses get the headers.
TEST(RateLimitResponses, HeadersOnAdmitted) {
  http::Response r = http::Response::json(200, "{}");
  add_rate_limit_headers(r, {.admitted = true, .limit = 60, .remaining = 59, .reset = seconds(60)});
  EXPECT_EQ(header(r, "RateLimit-Remaining"), "59");
  EXPECT_EQ(header(r, "Retry-After"), "<absent>");
}

// A real ApiContext over a temporary SQLite store, with limits.
class RateLimitContextTest : public ::testing::Test {
 protected:
  RateLimitContextTest() {
    char tmpl[] = "/tmp/latchkey-ratelimit-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = std::move(*open_sqlite_store({.data_dir = dir_}));
    tokens_ = std::make_unique<AccountTokenService>(*store_, cache_, clock_, random_,
                                                    AccountTokenOptions{});
    clients_ = std::make_unique<ClientAuthenticator>(*store_);
    users_ = std::make_unique<UserService>(*store_, clock_, random_, [](std::string_view) {});
    ctx_ = std::make_unique<ApiContext>(ApiContext{*store_, clock_, *clients_, *tokens_, *users_});
    limits_.rate = limits::make_local_rate_limiter(clock_);
    limits_.auth_throttle = std::make_unique<limits::AuthThrottle>(clock_);
    std::map<std::string, limits::LimitOverride, std::less<>> roles;
    roles["role_ten"] = limits::LimitOverride{10, std::nullopt};
    limits_.policy =
        std::make_unique<limits::ConfiguredLimitPolicy>(limits::KeyLimits{60, 5}, std::move(roles));
    ctx_->limits = &limits_;
  }
  ~RateLimitContextTest() override {
    ctx_.reset();
    users_.reset();
    clients_.reset();
    tokens_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Principal key_principal(std::string key_id, std::string role = "") {
    Principal p;
    p.user_id = "usr_1";
    p.key = KeyGrant{.key_id = std::move(key_id), .role_id = std::move(role)};
    return p;
  }

  std::string dir_;
  testing::FakeClock clock_;
  testing::CounterRandom random_;
  AccountTokenCache cache_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AccountTokenService> tokens_;
  std::unique_ptr<ClientAuthenticator> clients_;
  std::unique_ptr<UserService> users_;
  std::unique_ptr<ApiContext> ctx_;
  limits::Limits limits_;
};

// Test that account-token principals have no per-key limit and are not
// counted; key-derived ones get their policy's limits.
TEST_F(RateLimitContextTest, OnlyKeyDerivedPrincipalsAreLimited) {
  Principal account;
  account.user_id = "usr_1";
  EXPECT_FALSE(key_limits_of(*ctx_, account).has_value());
  EXPECT_FALSE(admit_key_request(*ctx_, account).has_value());
  EXPECT_EQ(key_limits_of(*ctx_, key_principal("key_a")), (limits::KeyLimits{60, 5}));
  EXPECT_EQ(key_limits_of(*ctx_, key_principal("key_a", "role_ten")), (limits::KeyLimits{10, 5}));
  for (int i = 0; i < 10; ++i) {
    auto s = admit_key_request(*ctx_, key_principal("key_b", "role_ten"));
    ASSERT_TRUE(s && s->admitted) << i;
  }
  auto refused = admit_key_request(*ctx_, key_principal("key_b", "role_ten"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(refused->admitted);
  EXPECT_EQ(refused->limit, 10);
  // Without limits nothing is counted.
  ctx_->limits = nullptr;
  EXPECT_FALSE(admit_key_request(*ctx_, key_principal("key_b", "role_ten")).has_value());
}

// Test that the client-credentials wrapper lets five bad secrets through to
// the handler, throttles the sixth failure's successor with 429
// too_many_attempts without calling the handler, and that a good secret of
// another client from the same IP is not slowed.
TEST_F(RateLimitContextTest, ClientCredentialsThrottle) {
  int calls = 0;
  int status = 401;
  http::Handler guarded =
      throttle_client_credentials(*ctx_, [&](const http::Request&, const http::PathParams&) {
        ++calls;
        return http::Response::json(status, "{}");
      });
  auto attempt = [&](std::string basic) {
    http::Request req;
    req.method = "POST";
    req.target = "/api/v1/account/token";
    req.remote_ip = "192.0.2.7";
    req.add_header("Authorization", "Basic " + basic);
    return guarded(req, http::PathParams{});
  };
  const std::string victim = "dmljdGltOndyb25n";  // victim:wrong
  for (int i = 0; i < 6; ++i) EXPECT_EQ(attempt(victim).status, 401) << i;
  EXPECT_EQ(calls, 6);
  const http::Response throttled = attempt(victim);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(Json::parse(throttled.body).at("error"), "too_many_attempts");
  EXPECT_EQ(header(throttled, "Retry-After"), "1");
  EXPECT_EQ(calls, 6);  // the secret was not even checked
  status = 200;
  EXPECT_EQ(attempt("b3RoZXI6cmlnaHQ=").status, 200);  // other:right
  clock_.advance(seconds(1));
  EXPECT_EQ(attempt(victim).status, 200);
}

// Test the parallel-guess race through the wrapper: after one wrong guess,
// 20 more for the same client id, each started while the earlier ones are
// still in flight (the handler starts the next before returning its 401).
// Only the 4 free failures left reach the handler; the other 16 get 429 at
// once. A right secret of another client is not slowed.
TEST_F(RateLimitContextTest, ClientCredentialsThrottleBoundsParallelGuesses) {
  int calls = 0;
  int to_start = 0;
  std::vector<int> statuses;
  http::Handler guarded;
  auto attempt = [&](std::string basic) {
    http::Request req;
    req.method = "POST";
    req.target = "/api/v1/account/token";
    req.remote_ip = "192.0.2.7";
    req.add_header("Authorization", "Basic " + basic);
    return guarded(req, http::PathParams{});
  };
  const std::string victim = "dmljdGltOndyb25n";  // victim:wrong
  guarded =
      throttle_client_credentials(*ctx_, [&](const http::Request& req, const http::PathParams&) {
        ++calls;
        if (req.header("Authorization") != "Basic " + victim) {
          return http::Response::json(200, "{}");
        }
        // Start the remaining guesses while this one is still being checked.
        while (to_start > 0) {
          --to_start;
          statuses.push_back(attempt(victim).status);
        }
        return http::Response::json(401, "{}");
      });
  EXPECT_EQ(attempt(victim).status, 401);  // the first failure, alone
  to_start = 19;
  statuses.push_back(attempt(victim).status);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(std::ranges::count(statuses, 401), 4);
  EXPECT_EQ(std::ranges::count(statuses, 429), 16);
  EXPECT_EQ(attempt("b3RoZXI6cmlnaHQ=").status, 200);  // other:right
}

// Test that an outcome other than 401 or success (here a 400: the secret was
// not judged wrong) refunds the attempt: any number of them never blocks.
TEST_F(RateLimitContextTest, ClientCredentialsThrottleRefundsOtherOutcomes) {
  int calls = 0;
  http::Handler guarded =
      throttle_client_credentials(*ctx_, [&](const http::Request&, const http::PathParams&) {
        ++calls;
        return http::Response::json(400, "{}");
      });
  http::Request req;
  req.remote_ip = "192.0.2.7";
  req.add_header("Authorization", "Basic dmljdGltOndyb25n");
  for (int i = 0; i < 30; ++i) EXPECT_EQ(guarded(req, http::PathParams{}).status, 400) << i;
  EXPECT_EQ(calls, 30);
}

// Test that wrappers are the identity when limits are off: nothing counted.
TEST_F(RateLimitContextTest, NoLimitsNoWrapping) {
  ctx_->limits = nullptr;
  int calls = 0;
  http::Handler h =
      throttle_client_credentials(*ctx_, [&](const http::Request&, const http::PathParams&) {
        ++calls;
        return http::Response::json(401, "{}");
      });
  http::Request req;
  req.remote_ip = "192.0.2.7";
  for (int i = 0; i < 50; ++i) EXPECT_EQ(h(req, http::PathParams{}).status, 401);
  EXPECT_EQ(calls, 50);
}

}  // namespace
}  // namespace latchkey::api
