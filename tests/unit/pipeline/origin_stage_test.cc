// The origin check of the authenticate stage (docs/origin-restrictions.md):
// a restricted credential used from outside its CIDR blocks is refused with
// 401 origin_not_allowed, audited with the client address, and not counted
// as a guess by the throttle.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/origin_check.h"
#include "pipeline/requirement.h"
#include "unit/pipeline/pipeline_fakes.h"

namespace latchkey::pipeline::testing {
namespace {

using Json = nlohmann::json;

http::Request request_from(std::string ip, std::string authorization, std::string body = "") {
  http::Request req;
  req.method = "POST";
  req.target = "/x";
  req.remote_ip = std::move(ip);
  req.body = std::move(body);
  if (!authorization.empty()) req.headers.push_back({"Authorization", std::move(authorization)});
  return req;
}

class OriginStageTest : public ::testing::Test {
 protected:
  OriginStageTest() {
    limits_.auth_throttle = std::make_unique<limits::AuthThrottle>(fakes_.clock);
  }

  http::Response run(const Requirement& requirement, const http::Request& req) {
    if (!pipeline_) {
      Services s = fakes_.services();
      pipeline_ = std::make_unique<Pipeline>(Services{s.clock, s.bearer, s.clients, s.api_keys,
                                                      s.decider, s.audit, limits_, s.console});
    }
    http::PathParams params;
    Exchange ex(requirement, req, params);
    return run_chain(pipeline_->chain_for(requirement), ex, [&](Exchange&) {
      ++handled_;
      return http::Response::json(200, "{}");
    });
  }

  void restrict_bearer(std::vector<std::string> cidrs) {
    auto p = std::make_shared<Principal>();
    p->user_id = "usr_1";
    p->origins = OriginRestriction::of(cidrs);
    fakes_.bearer.principal = std::move(p);
  }

  FakeServices fakes_;
  limits::Limits limits_;
  std::unique_ptr<Pipeline> pipeline_;
  int handled_ = 0;
};

// Test that a bearer token restricted to IPv4 and IPv6 blocks is admitted
// from inside them and refused from outside with 401 origin_not_allowed
// (WWW-Authenticate and JSON say so), the refusal audited with the address
// and the verified caller, before the handler runs.
TEST_F(OriginStageTest, BearerRefusedOutsideItsBlocks) {
  restrict_bearer({"192.0.2.0/24", "2001:db8::/32"});
  const Requirement req{.credential = Credential::kBearer, .audit_action = "test.call"};
  EXPECT_EQ(run(req, request_from("192.0.2.7", "Bearer good")).status, 200);
  EXPECT_EQ(run(req, request_from("2001:db8::5", "Bearer good")).status, 200);
  EXPECT_EQ(run(req, request_from("::ffff:192.0.2.9", "Bearer good")).status, 200);
  const http::Response refused = run(req, request_from("198.51.100.1", "Bearer good"));
  EXPECT_EQ(refused.status, 401);
  const Json body = Json::parse(refused.body);
  EXPECT_EQ(body.at("error"), "invalid_token");
  EXPECT_EQ(body.at("reason"), "origin_not_allowed");
  EXPECT_EQ(body.at("client_ip"), "198.51.100.1");
  EXPECT_NE(refused.header("WWW-Authenticate")->find("origin_not_allowed"), std::string::npos);
  EXPECT_EQ(run(req, request_from("2001:db9::1", "Bearer good")).status, 401);
  EXPECT_EQ(handled_, 3);
  ASSERT_EQ(fakes_.audit.events.size(), 5u);
  const AuditEvent& denied = fakes_.audit.events[3];
  EXPECT_EQ(denied.decision, AuditDecision::kDeny);
  EXPECT_EQ(denied.reason, "origin_not_allowed");
  EXPECT_EQ(denied.client_ip, "198.51.100.1");
  EXPECT_EQ(denied.principal_id, "usr_1");
  EXPECT_EQ(fakes_.bearer.calls, 5);  // verified once per request
}

// Test that a route that audits nothing of its own still records a refused
// origin, and that an unrestricted principal is never refused.
TEST_F(OriginStageTest, RefusalAuditedOnEveryRoute) {
  const Requirement quiet{.credential = Credential::kBearer};
  EXPECT_EQ(run(quiet, request_from("198.51.100.1", "Bearer good")).status, 200);
  EXPECT_TRUE(fakes_.audit.events.empty());
  restrict_bearer({"10.0.0.0/8"});
  EXPECT_EQ(run(quiet, request_from("198.51.100.1", "Bearer good")).status, 401);
  ASSERT_EQ(fakes_.audit.events.size(), 1u);
  EXPECT_EQ(fakes_.audit.events[0].action, "auth.origin_refused");
  EXPECT_EQ(fakes_.audit.events[0].reason, "origin_not_allowed");
}

// Test that Client ID + Secret of a restricted user are refused outside its
// blocks (401 invalid_client, origin_not_allowed) and that the refusals do
// not feed the credential-stuffing throttle: the secret was right.
TEST_F(OriginStageTest, ClientCredentialsRefusedAndNotThrottled) {
  fakes_.clients.allowed_origins = {"192.0.2.0/24"};
  const Requirement req{.credential = Credential::kClientSecret,
                        .throttle = Throttle::kClientId,
                        .audit_action = "account.token.issue"};
  const std::string right = "Basic dmljdGltOnJpZ2h0";  // victim:right
  for (int i = 0; i < 30; ++i) {
    const http::Response r = run(req, request_from("198.51.100.1", right));
    ASSERT_EQ(r.status, 401) << i << r.body;
    EXPECT_EQ(Json::parse(r.body).at("reason"), "origin_not_allowed");
    EXPECT_EQ(Json::parse(r.body).at("error"), "invalid_client");
  }
  EXPECT_EQ(run(req, request_from("192.0.2.1", right)).status, 200);
  EXPECT_EQ(run(req, request_from("198.51.100.1", right)).status, 401);
  EXPECT_EQ(handled_, 1);
}

// Test that an API key presented for exchange is refused outside its
// blocks before the key limits count it, and admitted inside them.
TEST_F(OriginStageTest, ApiKeyExchangeRefusedOutsideItsBlocks) {
  fakes_.keys.allowed_origins = {"2001:db8::/32"};
  const Requirement req{.credential = Credential::kApiKey,
                        .throttle = Throttle::kApiKey,
                        .audit_action = "key.token.access"};
  const std::string body = R"({"api_key":"lk_key_whatever"})";
  const http::Response refused = run(req, request_from("192.0.2.1", "", body));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(Json::parse(refused.body).at("reason"), "origin_not_allowed");
  EXPECT_EQ(run(req, request_from("2001:db8:1::1", "", body)).status, 200);
  EXPECT_EQ(handled_, 1);
}

// Test the check itself: unrestricted allows everything (even no address),
// a restriction whose stored blocks cannot be read allows nothing (fail
// closed), and the refusal names the address.
TEST(OriginCheck, UnrestrictedAllowsAndCorruptListFailsClosed) {
  EXPECT_FALSE(origin_refusal(OriginRestriction(), "", OriginSubject::kToken));
  const OriginRestriction corrupt = OriginRestriction::of({"not-a-cidr"});
  EXPECT_TRUE(corrupt.restricted());
  auto refused = origin_refusal(corrupt, "192.0.2.1", OriginSubject::kApiKey);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::kInvalidToken);
  EXPECT_EQ(refused->reason, "origin_not_allowed");
  EXPECT_NE(refused->description.find("192.0.2.1"), std::string::npos);
  EXPECT_TRUE(origin_refusal(OriginRestriction::of({"10.0.0.0/8"}), "", OriginSubject::kToken));
}

}  // namespace
}  // namespace latchkey::pipeline::testing
