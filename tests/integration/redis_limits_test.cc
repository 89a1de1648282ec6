// Per-key limits kept in Redis, against a real latchkeyd started with
// --limits redis://... and a real redis-server (issue 12 items 2 and 4;
// docs/rate-limits.md "Across nodes (Redis)"): seed 004's 60/min enforced,
// also across a restart of the node mid-window; Redis down answers 503
// limits_unavailable and the node recovers when Redis is back, without a
// restart of latchkeyd; a killed node's gateway concurrency slots come back
// after the lease.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "integration/server_fixture.h"
#include "support/redis_server.h"
#include "support/test_upstream.h"

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

// A gateway route to an upstream that holds requests, limits in Redis.
class RedisGatewayLimits : public ServerTest {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<TestUpstream>();
    ServerTest::SetUp();
  }
  void TearDown() override {
    std::remove(config_path_.c_str());
    server_.reset();
    upstream_.reset();
  }
  std::vector<std::string> server_args() override {
    config_path_ =
        ::testing::TempDir() + "/latchkey-redis-gateway-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << "[[gateway_routes]]\nmethod = \"GET\"\npath = \"/hold/a\"\n"
                                   "upstream = \"" +
                                       upstream_->url() + "\"\naction = \"authenticated\"\n";
    return {"--config", config_path_, "--limits", redis_.url()};
  }

  RedisServer redis_;
  std::unique_ptr<TestUpstream> upstream_;
  std::string config_path_;
};

// Test the lease over HTTP: five gateway calls of one key are in flight when
// the node is killed (kill -9: no release); the restarted node (same Redis)
// still sees the five slots held and refuses a sixth call with 429
// concurrency_limited, also 20 s later on the test clock; 30 s after they
// were taken (the default lease) the dead node's slots are back.
TEST_F(RedisGatewayLimits, KilledNodesSlotsComeBackAfterTheLease) {
  const Credentials user = create_user_with_credentials("gw-lease", "service", true);
  HttpResult created = post("/api/v1/keys", {bearer_header(issue_token(user)), kJson},
                            Json{{"name", "gw"}, {"expires_in_days", 30}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult exchanged = post("/v2/auth/token/access", {kJson},
                              Json{{"api_key", json_of(created).value("api_key", "")}}.dump());
  ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  const std::string token = json_of(exchanged).value("access_token", "");
  const std::string url = server_->url() + "/hold/a";
  std::vector<std::thread> calls;
  for (int i = 0; i < 5; ++i) {
    calls.emplace_back([url, token] { HttpClient().send("GET", url, {bearer_header(token)}); });
  }
  ASSERT_TRUE(upstream_->wait_held(5));
  server_->kill_hard();
  for (auto& t : calls) t.join();
  ASSERT_TRUE(upstream_->wait_abandoned(5));

  server_->restart();
  HttpResult sixth = get("/hold/a", {bearer_header(token)});
  EXPECT_EQ(sixth.status, 429) << sixth.body;
  EXPECT_EQ(json_of(sixth)["error"], "concurrency_limited");
  // 20 s: well within the lease even if the restart took seconds of real time.
  server_->advance_clock_seconds(20);
  EXPECT_EQ(get("/hold/a", {bearer_header(token)}).status, 429);
  server_->advance_clock_seconds(10);
  upstream_->release(1);  // the next held request answers at once
  HttpResult back = get("/hold/a", {bearer_header(token)});
  EXPECT_EQ(back.status, 200) << back.body;
}

}  // namespace
}  // namespace latchkey::testing
