// Per-key limits kept in Redis, against a real latchkeyd started with
// --limits redis://... and a real redis-server (issue 12 items 2 and 4;
// docs/rate-limits.md "Across nodes (Redis)"): seed 004's 60/min enforced,
// also across a restart of the node mid-window; Redis down answers 503
// limits_unavailable and the node recovers when Redis is back, without a
// restart of latchkeyd.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "integration/server_fixture.h"
#include "support/redis_server.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";

class RedisLimits : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    owner_ = create_user_with_credentials("redis-owner", "service", true);
    const std::string owner_token = issue_token(owner_);
    HttpResult created = post("/api/v1/keys", {bearer_header(owner_token), kJson},
                              Json{{"name", "ci"}, {"expires_in_days", 30}}.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    api_key_ = json_of(created).value("api_key", "");
  }
  void TearDown() override { server_.reset(); }  // latchkeyd stops before its Redis
  std::vector<std::string> server_args() override { return {"--limits=" + redis_.url()}; }

  // POST /v2/auth/token/access: counts against the key.
  HttpResult exchange() {
    return post("/v2/auth/token/access", {kJson}, Json{{"api_key", api_key_}}.dump());
  }
  HttpResult authorize(const std::string& token) {
    return post("/v1/authorize", {bearer_header(token), kJson},
                R"({"action": "read_records", "module": "RECORDS"})");
  }

  RedisServer redis_;
  Credentials owner_;
  std::string api_key_;
};

// Test that 60/min holds when counted in Redis, and that a restart of the
// node mid-window does not reset it (the count is in Redis, not in the
// process): 30 before the restart, exactly 30 after, then 429 with
// Retry-After; 60 s later on the test clock, admitted again.
TEST_F(RedisLimits, SixtyPerMinuteAcrossARestart) {
  HttpResult first = exchange();  // 1 of 60
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("ratelimit-limit"), "60");
  EXPECT_EQ(first.header("ratelimit-remaining"), "59");
  const std::string token = json_of(first).value("access_token", "");
  for (int i = 0; i < 29; ++i) ASSERT_NE(authorize(token).status, 429) << i;

  server_->restart();
  int admitted = 0;
  HttpResult last;
  for (int i = 0; i < 40; ++i) {
    last = authorize(token);
    ASSERT_NE(last.status, 0) << last.error;
    ASSERT_NE(last.status, 503) << last.body;
    if (last.status != 429) ++admitted;
  }
  EXPECT_EQ(admitted, 30);
  ASSERT_EQ(last.status, 429) << last.body;
  EXPECT_EQ(json_of(last)["error"], "rate_limited");
  EXPECT_EQ(last.header("ratelimit-remaining"), "0");
  const int retry_after = std::stoi(last.header("retry-after"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);

  server_->advance_clock_seconds(60);
  HttpResult again = authorize(token);
  EXPECT_NE(again.status, 429) << again.body;
  EXPECT_EQ(again.header("ratelimit-limit"), "60");
}

// Test the documented failure mode over HTTP: with Redis down a key request
// is a 503 limits_unavailable JSON error with Retry-After (never a 200 and
// never a 429), requests that need no limit decision still work, and the
// outage is logged once; once Redis is back the same latchkeyd admits again.
TEST_F(RedisLimits, RedisDownIs503ThenRecovers) {
  HttpResult first = exchange();
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string token = json_of(first).value("access_token", "");

  redis_.stop();
  for (int i = 0; i < 5; ++i) {
    HttpResult r = authorize(token);
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(json_of(r)["error"], "limits_unavailable");
    EXPECT_TRUE(json_of(r).contains("error_description"));
    EXPECT_EQ(r.header("retry-after"), "1");
  }
  EXPECT_EQ(exchange().status, 503);
  // No per-key limit applies to an account token: unaffected.
  EXPECT_EQ(me(issue_token(owner_)).status, 200);
  HttpResult metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("latchkey_limits_unavailable_total{outcome=\"refused\"} 6"),
            std::string::npos);

  redis_.start();
  // The node reconnects by itself (back-off of at most 1 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  HttpResult r;
  do {
    r = me(token);
    if (r.status != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a real reconnect
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("ratelimit-remaining"), "59");  // the restarted Redis is empty
  const std::string log = server_->output();
  std::size_t outages = 0;
  for (std::size_t at = log.find("is unreachable"); at != std::string::npos;
       at = log.find("is unreachable", at + 1)) {
    ++outages;
  }
  EXPECT_EQ(outages, 1u) << log;
  EXPECT_NE(log.find("is reachable again"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::testing
