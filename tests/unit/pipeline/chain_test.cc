// The chain itself (pipeline.h): stages run in order on the way in and in
// reverse on the way out, a refusal skips the rest, what stages hold is
// released when the answer leaves, a throwing handler costs a 500 and still
// releases, and the asynchronous form runs the way out before answering.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline_fakes.h"

namespace latchkey::pipeline {
namespace {

// A stage that logs its calls and, when told, refuses.
class LoggingStage final : public Stage {
 public:
  LoggingStage(std::string name, std::vector<std::string>& log, bool refuse = false)
      : name_(std::move(name)), log_(log), refuse_(refuse) {}
  std::optional<http::Response> on_request(Exchange& ex) const override {
    log_.push_back("in " + name_);
    ex.holds.push_back(std::make_shared<Marker>(name_, log_));
    if (refuse_) return http::Response::json(403, "{}");
    return std::nullopt;
  }
  void on_response(Exchange&, http::Response& r) const override {
    log_.push_back("out " + name_ + " " + std::to_string(r.status));
  }

 private:
  // Logs its release: what a stage holds lives until the answer leaves.
  struct Marker {
    Marker(std::string n, std::vector<std::string>& l) : name(std::move(n)), log(l) {}
    ~Marker() { log.push_back("release " + name); }
    std::string name;
    std::vector<std::string>& log;
  };
  std::string name_;
  std::vector<std::string>& log_;
  bool refuse_;
};

// Test that stages run in order, then the handler, then the way out in
// reverse, and that holds are released after the way out.
TEST(Chain, InOrderOutInReverse) {
  std::vector<std::string> log;
  LoggingStage a("a", log), b("b", log);
  Requirement req;
  http::Request request;
  http::PathParams params;
  Exchange ex(req, request, params);
  const http::Response r = run_chain({&a, &b}, ex, [&](Exchange&) {
    log.push_back("handler");
    return http::Response::json(200, "{}");
  });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(log, (std::vector<std::string>{"in a", "in b", "handler", "out b 200", "out a 200",
                                           "release a", "release b"}));
}

// Test that a refusing stage answers: later stages and the handler do not
// run, and only the stages that ran see the way out.
TEST(Chain, RefusalSkipsTheRest) {
  std::vector<std::string> log;
  LoggingStage a("a", log), b("b", log, /*refuse=*/true), c("c", log);
  Requirement req;
  http::Request request;
  http::PathParams params;
  Exchange ex(req, request, params);
  bool called = false;
  const http::Response r = run_chain({&a, &b, &c}, ex, [&](Exchange&) {
    called = true;
    return http::Response::json(200, "{}");
  });
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(called);
  EXPECT_EQ(log, (std::vector<std::string>{"in a", "in b", "out b 403", "out a 403", "release a",
                                           "release b"}));
}

// Test that a throwing handler costs a 500, and the stages still release.
TEST(Chain, ThrowingHandlerStillReleases) {
  std::vector<std::string> log;
  LoggingStage a("a", log);
  Requirement req;
  http::Request request;
  http::PathParams params;
  Exchange ex(req, request, params);
  const http::Response r =
      run_chain({&a}, ex, [](Exchange&) -> http::Response { throw std::runtime_error("bug"); });
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(log, (std::vector<std::string>{"in a", "out a 500", "release a"}));
}

// Test which stages a requirement runs: none for a public route, no
// throttle and no decide for a plain bearer route, all five for a throttled
// admin route.
TEST(Chain, StagesFollowTheRequirement) {
  testing::FakeServices fakes;
  const Pipeline pipeline(fakes.services());
  EXPECT_TRUE(pipeline.chain_for(Requirement{}).empty());
  EXPECT_EQ(pipeline.chain_for({.credential = Credential::kBearer}).size(), 2u);
  EXPECT_EQ(
      pipeline.chain_for({.credential = Credential::kBearer, .key_limit = KeyLimit::kRate}).size(),
      3u);
  EXPECT_EQ(pipeline
                .chain_for({.credential = Credential::kBearer,
                            .throttle = Throttle::kClientId,
                            .key_limit = KeyLimit::kRate,
                            .admin = true})
                .size(),
            5u);
}

// A responder that keeps what it was given.
class KeepingResponder final : public http::Responder {
 public:
  void respond(http::Response r) override { responses.push_back(std::move(r)); }
  void on_client_gone(std::function<void()>) override {}
  const http::Executor& executor() const override { std::abort(); }
  std::vector<http::Response> responses;
};

// Test the asynchronous form: the handler answers later; the audit record
// and the RateLimit-* headers are added on the way out, exactly once.
TEST(Chain, AsyncAnswersRunTheWayOut) {
  testing::FakeServices fakes;
  auto pipeline = std::make_shared<const Pipeline>(fakes.services());
  std::shared_ptr<http::Responder> later;
  http::AsyncHandler h = Pipeline::wrap_async(
      pipeline, {.credential = Credential::kBearer, .audit_action = "gateway.authenticated"},
      [&](Exchange& ex, http::Request&, std::shared_ptr<http::Responder> responder) {
        ex.passed_on = true;
        later = std::move(responder);
      });
  auto inner = std::make_shared<KeepingResponder>();
  http::Request request;
  request.method = "GET";
  request.headers.push_back({"Authorization", "Bearer good"});
  h(std::move(request), http::PathParams{}, inner);
  EXPECT_TRUE(fakes.audit.events.empty());  // not answered yet
  ASSERT_NE(later, nullptr);
  later->respond(http::Response::json(502, "{}"));
  later->respond(http::Response::json(200, "{}"));  // a second answer is dropped
  ASSERT_EQ(inner->responses.size(), 1u);
  EXPECT_EQ(inner->responses[0].status, 502);
  ASSERT_EQ(fakes.audit.events.size(), 1u);
  // Passed on: the upstream's 502 is not latchkey's denial.
  EXPECT_EQ(fakes.audit.events[0].decision, AuditDecision::kAllow);
}

}  // namespace
}  // namespace latchkey::pipeline
