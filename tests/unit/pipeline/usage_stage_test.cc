// The usage stage (pipeline/usage_stage.cc): every answered exchange
// attributable to an API key is counted once, by route label and status
// class, whichever stage or handler answered; nothing else is counted.
#include <gtest/gtest.h>

#include "limits/limit_policy.h"
#include "pipeline_fakes.h"
#include "usage/usage_counter.h"

namespace latchkey::pipeline {
namespace {

using testing::FakeServices;

http::Request bearer_request(std::string token) {
  http::Request req;
  req.method = "GET";
  req.target = "/x";
  req.remote_ip = "192.0.2.7";
  req.headers.push_back({"Authorization", "Bearer " + std::move(token)});
  return req;
}

std::uint64_t counted(usage::UsageCounter& counter, std::string_view key, std::string_view route,
                      std::string_view cls) {
  std::uint64_t n = 0;
  for (const usage::PendingCount& c : counter.pending_of(key)) {
    if (c.route == route && usage::status_class_name(c.status_class) == cls) n += c.count;
  }
  return n;
}

class UsageStageTest : public ::testing::Test {
 protected:
  UsageStageTest() {
    limits_.rate = limits::make_local_rate_limiter(fakes_.clock);
    limits_.policy = std::make_unique<limits::ConfiguredLimitPolicy>(
        limits::KeyLimits{3, 5}, std::map<std::string, limits::LimitOverride, std::less<>>{});
    auto p = std::make_shared<Principal>();
    p->user_id = "usr_1";
    p->key = KeyGrant{.key_id = "key_1"};
    fakes_.bearer.principal = p;
    Services s = fakes_.services();
    pipeline_ =
        std::make_unique<Pipeline>(Services{s.clock, s.bearer, s.clients, s.api_keys, s.decider,
                                            s.audit, limits_, s.console, &counter_});
  }

  http::Response run(const Requirement& requirement, const http::Request& req, int status = 200) {
    http::PathParams params;
    Exchange ex(requirement, req, params);
    return run_chain(pipeline_->chain_for(requirement), ex,
                     [status](Exchange&) { return http::Response::json(status, "{}"); });
  }

  FakeServices fakes_;
  limits::Limits limits_;
  usage::UsageCounter counter_;
  std::unique_ptr<Pipeline> pipeline_;
};

const Requirement kRoute{.credential = Credential::kBearer,
                         .key_limit = KeyLimit::kRate,
                         .audit_action = "test.call",
                         .route_label = "GET /x"};

// Test that admitted calls, handler errors and the key limit's 429s are all
// counted under the key, by status class, with the refusal's reason.
TEST_F(UsageStageTest, CountsEveryAnswerOfAKeyDerivedCaller) {
  EXPECT_EQ(run(kRoute, bearer_request("good")).status, 200);
  EXPECT_EQ(run(kRoute, bearer_request("good"), 404).status, 404);
  EXPECT_EQ(run(kRoute, bearer_request("good")).status, 200);
  EXPECT_EQ(run(kRoute, bearer_request("good")).status, 429);  // 3 per minute
  EXPECT_EQ(counted(counter_, "key_1", "GET /x", "2xx"), 2u);
  EXPECT_EQ(counted(counter_, "key_1", "GET /x", "4xx"), 2u);
  const auto totals = counter_.totals();
  ASSERT_EQ(totals.size(), 1u);
  std::map<std::string, std::uint64_t> reasons(totals[0].rejections.begin(),
                                               totals[0].rejections.end());
  EXPECT_EQ(reasons, (std::map<std::string, std::uint64_t>{{"not_found", 1}, {"rate_limited", 1}}));
}

// Test that a verified token whose key was deactivated is refused and
// counted under the key its error names.
TEST_F(UsageStageTest, RefusedTokenOfAKnownKeyIsCounted) {
  fakes_.bearer.error =
      Error::invalid_token("revoked", "key deactivated").with_detail("key_id", "key_9");
  EXPECT_EQ(run(kRoute, bearer_request("good")).status, 401);
  EXPECT_EQ(counted(counter_, "key_9", "GET /x", "4xx"), 1u);
  const auto totals = counter_.totals();
  ASSERT_EQ(totals.size(), 1u);
  ASSERT_EQ(totals[0].rejections.size(), 1u);
  EXPECT_EQ(totals[0].rejections[0].first, "revoked");
}

// Test that a caller without a key (account token) and an unauthenticated
// request count nothing.
TEST_F(UsageStageTest, OnlyKeysAreCounted) {
  fakes_.bearer.principal = std::make_shared<Principal>();
  EXPECT_EQ(run(kRoute, bearer_request("good")).status, 200);
  EXPECT_EQ(run(kRoute, bearer_request("bad")).status, 401);
  EXPECT_EQ(counter_.pending_size(), 0u);
}

// Test that an exchange's presented key is counted once identified, even
// when the key is then refused (a deactivated key's 401), and that the
// route label is the route's, never the raw path.
TEST_F(UsageStageTest, ExchangesCountThePresentedKey) {
  const Requirement exchange{.credential = Credential::kApiKey,
                             .key_limit = KeyLimit::kRate,
                             .route_label = "POST /v2/auth/token/access"};
  http::Request req;
  req.method = "POST";
  req.target = "/v2/auth/token/access?x=1";
  req.body = R"({"api_key":"whatever"})";
  req.headers.push_back({"Content-Type", "application/json"});
  EXPECT_EQ(run(exchange, req).status, 200);
  fakes_.keys.error = Error::invalid_token("revoked", "deactivated").with_detail("key_id", "key_x");
  EXPECT_EQ(run(exchange, req, 401).status, 401);
  EXPECT_EQ(counted(counter_, "key_x", "POST /v2/auth/token/access", "2xx"), 1u);
  EXPECT_EQ(counted(counter_, "key_x", "POST /v2/auth/token/access", "4xx"), 1u);
  // An unknown key is nobody's: not counted.
  fakes_.keys.error = Error::invalid_token("unknown", "no such key");
  EXPECT_EQ(run(exchange, req, 401).status, 401);
  EXPECT_EQ(counter_.pending_size(), 2u);
}

// Test that without a counter the chain has no usage stage.
TEST(UsageStage, AbsentWithoutACounter) {
  FakeServices fakes;
  Pipeline without(fakes.services());
  EXPECT_EQ(without.chain_for(kRoute).size(), 3u);  // audit, authenticate, key limits
  usage::UsageCounter counter;
  Services s = fakes.services();
  s.usage = &counter;
  Pipeline with(s);
  EXPECT_EQ(with.chain_for(kRoute).size(), 4u);
  EXPECT_TRUE(with.chain_for(Requirement{}).empty());
}

}  // namespace
}  // namespace latchkey::pipeline
