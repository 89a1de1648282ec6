// The pipeline's stages one by one, through run_chain() with fake services
// (pipeline_fakes.h): limits and the throttle (was the API's wrapper test),
// authentication, the decide stage's one 403 mapping, the nginx form of a
// refusal, and the audit record of every exchange.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "limits/limit_policy.h"
#include "pipeline/credentials.h"
#include "pipeline/decision_source.h"
#include "pipeline/refusals.h"
#include "pipeline_fakes.h"

namespace latchkey::pipeline {
namespace {

using std::chrono::seconds;
using Json = nlohmann::json;
using testing::FakeServices;

std::string header(const http::Response& r, std::string_view name) {
  return std::string(r.header(name).value_or("<absent>"));
}

// Test that a rate refusal is a 429 JSON body naming the limit, with
// Retry-After and the three RateLimit-* headers.
TEST(Refusals, TooManyRequests) {
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
TEST(Refusals, ConcurrencyAndAttempts) {
  const http::Response c = too_many_concurrent(5);
  EXPECT_EQ(c.status, 429);
  EXPECT_EQ(Json::parse(c.body).at("error"), "concurrency_limited");
  EXPECT_EQ(header(c, "Retry-After"), "1");
  const http::Response a = too_many_attempts(seconds(8));
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(Json::parse(a.body).at("error"), "too_many_attempts");
  EXPECT_EQ(header(a, "Retry-After"), "8");
}

// Test that nginx never hears a 429 (it would turn it into a 500): a limit's
// refusal is a 403 with X-Latchkey-Reason and Retry-After.
TEST(Refusals, NginxHearsA403) {
  limits::RateLimitState state{.admitted = false,
                               .limit = 60,
                               .remaining = 0,
                               .reset = seconds(7),
                               .retry_after = seconds(7)};
  const http::Response r = refusal(Audience::kNginx, too_many_requests(state), "rate_limited");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(header(r, "X-Latchkey-Reason"), "rate_limited");
  EXPECT_EQ(header(r, "Retry-After"), "7");
  EXPECT_EQ(Json::parse(r.body).at("reason"), "rate_limited");
  // The API hears the 429 itself.
  EXPECT_EQ(refusal(Audience::kApi, too_many_requests(state), "rate_limited").status, 429);
}

// A request as the tests send it.
http::Request request_with(std::string authorization, std::string method = "GET") {
  http::Request req;
  req.method = std::move(method);
  req.target = "/x";
  req.remote_ip = "192.0.2.7";
  if (!authorization.empty()) req.headers.push_back({"Authorization", std::move(authorization)});
  return req;
}

class StagesTest : public ::testing::Test {
 protected:
  StagesTest() {
    limits_.rate = limits::make_local_rate_limiter(fakes_.clock);
    limits_.auth_throttle = std::make_unique<limits::AuthThrottle>(fakes_.clock);
    std::map<std::string, limits::LimitOverride, std::less<>> roles;
    roles["role_ten"] = limits::LimitOverride{10, std::nullopt};
    limits_.policy =
        std::make_unique<limits::ConfiguredLimitPolicy>(limits::KeyLimits{60, 5}, std::move(roles));
  }

  Pipeline& pipeline() {
    if (!pipeline_) {
      Services s = fakes_.services();
      pipeline_ = std::make_unique<Pipeline>(Services{s.clock, s.bearer, s.clients, s.api_keys,
                                                      s.decider, s.audit, limits_, s.console});
    }
    return *pipeline_;
  }

  // Runs `req` through the stages of `requirement`, then `handler`.
  http::Response run(const Requirement& requirement, const http::Request& req,
                     const Handler& handler) {
    http::PathParams params;
    Exchange ex(requirement, req, params);
    return run_chain(pipeline().chain_for(requirement), ex, handler);
  }

  static std::shared_ptr<Principal> key_principal(std::string key_id, std::string role = "") {
    auto p = std::make_shared<Principal>();
    p->user_id = "usr_1";
    p->key = KeyGrant{.key_id = std::move(key_id), .role_id = std::move(role)};
    return p;
  }

  FakeServices fakes_;
  limits::Limits limits_;
  std::unique_ptr<Pipeline> pipeline_;
};

const Requirement kBearerLimited{
    .credential = Credential::kBearer, .key_limit = KeyLimit::kRate, .audit_action = "test.call"};

// Test that account-token principals have no per-key limit, key-derived ones
// get their policy's limit (a role override here), and admitted responses
// carry the RateLimit-* headers.
TEST_F(StagesTest, OnlyKeyDerivedCallersAreLimited) {
  int calls = 0;
  auto ok = [&](Exchange&) {
    ++calls;
    return http::Response::json(200, "{}");
  };
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(run(kBearerLimited, request_with("Bearer good"), ok).status, 200) << i;
  }
  fakes_.bearer.principal = key_principal("key_b", "role_ten");
  for (int i = 0; i < 10; ++i) {
    const http::Response r = run(kBearerLimited, request_with("Bearer good"), ok);
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(header(r, "RateLimit-Limit"), "10");
    EXPECT_EQ(header(r, "RateLimit-Remaining"), std::to_string(9 - i));
  }
  const http::Response refused = run(kBearerLimited, request_with("Bearer good"), ok);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(Json::parse(refused.body).at("error"), "rate_limited");
  EXPECT_EQ(calls, 110);
  // The refusal is audited with its reason.
  ASSERT_FALSE(fakes_.audit.events.empty());
  EXPECT_EQ(fakes_.audit.events.back().decision, AuditDecision::kDeny);
  EXPECT_EQ(fakes_.audit.events.back().reason, "rate_limited");
}

// Test that a concurrency slot is held until the response is sent: five
// exchanges in flight at once pass, the sixth is refused at once, and a
// slot comes back when an exchange ends.
TEST_F(StagesTest, ConcurrencySlotsHeldUntilTheAnswer) {
  fakes_.bearer.principal = key_principal("key_c");
  Requirement req = kBearerLimited;
  req.key_limit = KeyLimit::kRateAndConcurrency;
  req.limit_scope = "GET /x";
  std::vector<int> statuses;
  int depth = 0;
  Handler nested = [&](Exchange&) -> http::Response {
    if (++depth < 6) statuses.push_back(run(req, request_with("Bearer good"), nested).status);
    return http::Response::json(200, "{}");
  };
  EXPECT_EQ(run(req, request_with("Bearer good"), nested).status, 200);
  // Exchanges 2..5 passed inside the first; the sixth, with five in flight,
  // was refused.
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_EQ(std::ranges::count(statuses, 200), 4);
  EXPECT_EQ(statuses.front(), 429);  // innermost first
  EXPECT_EQ(limits_.concurrency->in_use("key_c GET /x"), 0);
}

// Test that the throttle lets five bad secrets through to the handler,
// refuses the next with 429 too_many_attempts without calling it, and does
// not slow a good secret of another client from the same IP.
TEST_F(StagesTest, ClientCredentialsThrottle) {
  const Requirement req{.credential = Credential::kClientSecret,
                        .throttle = Throttle::kClientId,
                        .audit_action = "account.token.issue"};
  int calls = 0;
  auto issue = [&](Exchange& ex) {
    ++calls;
    EXPECT_TRUE(ex.client.has_value());
    return http::Response::json(200, "{}");
  };
  const std::string victim = "Basic dmljdGltOndyb25n";  // victim:wrong
  for (int i = 0; i < 6; ++i) EXPECT_EQ(run(req, request_with(victim), issue).status, 401) << i;
  EXPECT_EQ(fakes_.clients.calls, 6);
  const http::Response throttled = run(req, request_with(victim), issue);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(Json::parse(throttled.body).at("error"), "too_many_attempts");
  EXPECT_EQ(header(throttled, "Retry-After"), "1");
  EXPECT_EQ(fakes_.clients.calls, 6);  // the secret was not even checked
  EXPECT_EQ(run(req, request_with("Basic b3RoZXI6cmlnaHQ="), issue).status, 200);  // other:right
  fakes_.clock.advance(seconds(1));
  EXPECT_EQ(run(req, request_with("Basic dmljdGltOnJpZ2h0"), issue).status, 200);  // victim:right
  EXPECT_EQ(calls, 2);
}

// Test the parallel-guess race: after one wrong guess, 19 more for the same
// client id, each started while the earlier ones are still in flight. Only
// the 4 free failures left reach the secret check; the other 16 get 429 at
// once. A right secret of another client is not slowed.
TEST_F(StagesTest, ThrottleBoundsParallelGuesses) {
  // The handler judges the secret here, as the OAuth endpoints do.
  const Requirement req{.credential = Credential::kOAuthClient, .throttle = Throttle::kClientId};
  const std::string victim = "Basic dmljdGltOndyb25n";  // victim:wrong
  int checked = 0;
  int to_start = 0;
  std::vector<int> statuses;
  Handler judge = [&](Exchange& ex) -> http::Response {
    ++checked;
    if (ex.request().header("Authorization") != victim) return http::Response::json(200, "{}");
    while (to_start > 0) {
      --to_start;
      statuses.push_back(run(req, request_with(victim), judge).status);
    }
    return http::Response::json(401, "{}");
  };
  EXPECT_EQ(run(req, request_with(victim), judge).status, 401);  // the first failure, alone
  to_start = 19;
  statuses.push_back(run(req, request_with(victim), judge).status);
  EXPECT_EQ(checked, 5);
  EXPECT_EQ(std::ranges::count(statuses, 401), 4);
  EXPECT_EQ(std::ranges::count(statuses, 429), 16);
  EXPECT_EQ(run(req, request_with("Basic b3RoZXI6cmlnaHQ="), judge).status, 200);
}

// Test that an outcome other than 401 or success (a 400: the secret was not
// judged) refunds the attempt: any number of them never blocks.
TEST_F(StagesTest, ThrottleRefundsOtherOutcomes) {
  const Requirement req{.credential = Credential::kOAuthClient, .throttle = Throttle::kClientId};
  int calls = 0;
  auto bad_request = [&](Exchange&) {
    ++calls;
    return http::Response::json(400, "{}");
  };
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(run(req, request_with("Basic dmljdGltOndyb25n"), bad_request).status, 400) << i;
  }
  EXPECT_EQ(calls, 30);
}

// Test that without limiters nothing is counted or throttled.
TEST_F(StagesTest, NoLimitersLimitNothing) {
  limits_.rate.reset();
  limits_.auth_throttle.reset();
  limits_.policy.reset();
  fakes_.bearer.principal = key_principal("key_d");
  int calls = 0;
  auto ok = [&](Exchange&) {
    ++calls;
    return http::Response::json(401, "{}");
  };
  const Requirement throttled{.credential = Credential::kOAuthClient,
                              .throttle = Throttle::kClientId};
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(run(throttled, request_with("Basic dmljdGltOndyb25n"), ok).status, 401);
    EXPECT_EQ(run(kBearerLimited, request_with("Bearer good"), ok).status, 401);
  }
  EXPECT_EQ(calls, 100);
}

// A backend (Redis) that cannot be asked: every decision is "unavailable".
class UnavailableRate final : public limits::RateLimiter {
 public:
  limits::RateLimitState admit(std::string_view, int limit) override {
    return {.unavailable = true, .limit = limit};
  }
};
class UnavailableConcurrency final : public limits::ConcurrencyLimiter {
 public:
  limits::SlotAcquisition acquire(std::string_view, int) override {
    return {limits::SlotOutcome::kUnavailable, limits::Slot()};
  }
  int in_use(std::string_view) const override { return -1; }

 protected:
  void release_slot(const std::string&, const std::string&) override {}
};

// Test that when the limits backend is unreachable a key request is refused
// with 503 limits_unavailable and Retry-After (fail closed, the default),
// never faked as admitted or as a 429, and the handler never runs.
TEST_F(StagesTest, UnavailableLimitsFailClosedWith503) {
  limits_.rate = std::make_unique<UnavailableRate>();
  fakes_.bearer.principal = key_principal("key_u");
  int calls = 0;
  auto ok = [&](Exchange&) {
    ++calls;
    return http::Response::json(200, "{}");
  };
  const http::Response r = run(kBearerLimited, request_with("Bearer good"), ok);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json::parse(r.body).at("error"), "limits_unavailable");
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_EQ(header(r, "RateLimit-Limit"), "<absent>");
  // The concurrency limiter alone failing is the same 503.
  limits_.rate = limits::make_local_rate_limiter(fakes_.clock);
  limits_.concurrency = std::make_unique<UnavailableConcurrency>();
  const Requirement both{.credential = Credential::kBearer,
                         .key_limit = KeyLimit::kRateAndConcurrency,
                         .audit_action = "test.call"};
  EXPECT_EQ(run(both, request_with("Bearer good"), ok).status, 503);
  EXPECT_EQ(calls, 0);
}

// Test that limits_fail_open admits such a request, without RateLimit-*
// headers (nothing was counted).
TEST_F(StagesTest, UnavailableLimitsFailOpenWhenConfigured) {
  limits_.rate = std::make_unique<UnavailableRate>();
  limits_.concurrency = std::make_unique<UnavailableConcurrency>();
  limits_.fail_open = true;
  fakes_.bearer.principal = key_principal("key_u");
  const Requirement both{.credential = Credential::kBearer,
                         .key_limit = KeyLimit::kRateAndConcurrency,
                         .audit_action = "test.call"};
  const http::Response r = run(both, request_with("Bearer good"),
                               [](Exchange&) { return http::Response::json(200, "{}"); });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "RateLimit-Limit"), "<absent>");
}

// Test that the bearer is verified once per exchange, before the handler,
// and that a missing or bad token is a 401 the handler never sees, audited
// with the masked token.
TEST_F(StagesTest, AuthenticateOnce) {
  int calls = 0;
  auto ok = [&](Exchange& ex) {
    ++calls;
    EXPECT_NE(ex.principal, nullptr);
    return http::Response::json(200, "{}");
  };
  EXPECT_EQ(run(kBearerLimited, request_with("Bearer good"), ok).status, 200);
  EXPECT_EQ(fakes_.bearer.calls, 1);
  EXPECT_EQ(run(kBearerLimited, request_with(""), ok).status, 401);
  EXPECT_EQ(run(kBearerLimited, request_with("Bearer lk_at_badbadbadbad"), ok).status, 401);
  EXPECT_EQ(fakes_.bearer.calls, 2);
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(fakes_.audit.events.size(), 3u);
  const AuditEvent& bad = fakes_.audit.events.back();
  EXPECT_EQ(bad.action, "test.call");
  EXPECT_EQ(bad.decision, AuditDecision::kDeny);
  EXPECT_EQ(bad.reason, "unknown");
  EXPECT_EQ(bad.credential.find("badbadbadbad"), std::string::npos);  // masked
}

// A decision source that asks for one fixed decision.
class FixedDecision final : public DecisionSource {
 public:
  Result<WantedDecision> wanted(const Exchange&) const override {
    WantedDecision w;
    w.request.action = policy::Action::kReadRecords;
    w.request.application = "app_1";
    w.audit_action = "authorize.read_records";
    w.audit_resource = "application/app_1";
    return w;
  }
};

// Test the decide stage: ADMIN and write scope refused before the handler
// with 403 and X-Latchkey-Reason; a denied decision is one 403 mapping with
// the missing piece; an allowed one reaches the handler with the decision.
TEST_F(StagesTest, DecideAdminScopeAndDecision) {
  int calls = 0;
  auto ok = [&](Exchange& ex) {
    ++calls;
    EXPECT_TRUE(ex.decision.has_value());
    return http::Response::json(200, "{}");
  };
  Requirement admin{.credential = Credential::kBearer, .admin = true, .audit_action = "a"};
  http::Response r = run(admin, request_with("Bearer good"), ok);
  EXPECT_EQ(r.status, 403);
  auto reader = std::make_shared<Principal>();
  reader->read_only = true;
  fakes_.bearer.principal = reader;
  Requirement write{.credential = Credential::kBearer, .write = true, .audit_action = "w"};
  r = run(write, request_with("Bearer good", "POST"), ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(header(r, "X-Latchkey-Reason"), "insufficient_scope");
  EXPECT_EQ(calls, 0);

  fakes_.bearer.principal = std::make_shared<Principal>();
  Requirement decided{.credential = Credential::kBearer,
                      .decision = std::make_shared<FixedDecision>(),
                      .audit_action = "authorize"};
  fakes_.decider.allow = false;
  r = run(decided, request_with("Bearer good"), ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(header(r, "X-Latchkey-Reason"), "module_missing");
  const Json body = Json::parse(r.body);
  EXPECT_EQ(body.at("decision"), "deny");
  EXPECT_EQ(body.at("module"), "RECORDS");
  EXPECT_EQ(fakes_.audit.events.back().action, "authorize.read_records");
  EXPECT_EQ(fakes_.audit.events.back().reason, "module_missing");
  fakes_.decider.allow = true;
  EXPECT_EQ(run(decided, request_with("Bearer good"), ok).status, 200);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(fakes_.audit.events.back().decision, AuditDecision::kAllow);
}

// Test fail-closed: a stage whose service fails answers 401/403/503 and
// never passes the request on.
TEST_F(StagesTest, FailClosedWhenAServiceFails) {
  int calls = 0;
  auto ok = [&](Exchange&) {
    ++calls;
    return http::Response::json(200, "{}");
  };
  // The token store is down: 503, not a pass.
  fakes_.bearer.error = Error::unavailable("the store is unavailable");
  EXPECT_EQ(run(kBearerLimited, request_with("Bearer good"), ok).status, 503);
  // A verifier that returns no principal: 401.
  fakes_.bearer.error.reset();
  fakes_.bearer.principal = nullptr;
  EXPECT_EQ(run(kBearerLimited, request_with("Bearer good"), ok).status, 401);
  fakes_.bearer.principal = std::make_shared<Principal>();
  // The client store is down.
  fakes_.clients.error = Error::unavailable("the store is unavailable");
  const Requirement issue{.credential = Credential::kClientSecret, .throttle = Throttle::kClientId};
  EXPECT_EQ(run(issue, request_with("Basic dmljdGltOnJpZ2h0"), ok).status, 503);
  // The permission service is down, or absent (fail closed: 403).
  const Requirement decided{.credential = Credential::kBearer,
                            .decision = std::make_shared<FixedDecision>()};
  fakes_.decider.error = Error::unavailable("the store is unavailable");
  EXPECT_EQ(run(decided, request_with("Bearer good"), ok).status, 503);
  PermissionDecider absent(nullptr);
  auto outcome = absent.decide(Principal{}, policy::DecisionRequest{});
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(outcome.error().reason, "permissions_unavailable");
  // Absent API keys: every key refused.
  KeyServiceVerifier no_keys(nullptr);
  EXPECT_FALSE(no_keys.verify("lk_key_x"));
  EXPECT_EQ(calls, 0);
}

// A request carrying the console's cookie (and the given extra headers).
http::Request cookie_request(std::string method,
                             std::vector<std::pair<std::string, std::string>> extra = {}) {
  http::Request req = request_with("", std::move(method));
  req.add_header("Host", "latchkey.test");
  req.add_header("Cookie", "theme=dark; latchkey_session=good-cookie");
  for (auto& [name, value] : extra) req.add_header(name, value);
  return req;
}

const Requirement kConsoleRoute{.credential = Credential::kBearer,
                                .session_cookie = true,
                                .key_limit = KeyLimit::kRate,
                                .audit_action = "test.call"};

// Test the console's cookie in the authenticate stage: a read passes with
// the person as principal and the session recorded; a write needs the
// matching X-CSRF-Token; a foreign Origin is refused even with it; the
// refusals never reach the handler and are audited.
TEST_F(StagesTest, SessionCookieNeedsCsrfForWrites) {
  std::string seen_session;
  int calls = 0;
  auto ok = [&](Exchange& ex) {
    ++calls;
    seen_session = ex.console_session_id;
    EXPECT_EQ(ex.principal->user_id, "usr_1");
    return http::Response::json(200, "{}");
  };
  EXPECT_EQ(run(kConsoleRoute, cookie_request("GET"), ok).status, 200);
  EXPECT_EQ(seen_session, "ses_1");
  EXPECT_EQ(fakes_.audit.events.back().credential, "session ses_1");

  const http::Response no_token = run(kConsoleRoute, cookie_request("POST"), ok);
  EXPECT_EQ(no_token.status, 403);
  EXPECT_EQ(Json::parse(no_token.body).at("reason"), "csrf_token_invalid");
  const http::Response wrong =
      run(kConsoleRoute, cookie_request("DELETE", {{"X-CSRF-Token", "csrf-2"}}), ok);
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(fakes_.audit.events.back().reason, "csrf_token_invalid");
  const http::Response foreign = run(
      kConsoleRoute,
      cookie_request("POST", {{"X-CSRF-Token", "csrf-1"}, {"Origin", "https://evil.test"}}), ok);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(
      run(kConsoleRoute,
          cookie_request("POST", {{"X-CSRF-Token", "csrf-1"}, {"Origin", "http://latchkey.test"}}),
          ok)
          .status,
      200);
  EXPECT_EQ(calls, 2);
}

// Test where the cookie is not used: a route without session_cookie (the
// data plane) never asks the verifier; an Authorization header wins over
// the cookie; an unknown cookie is a 401 and a failing verifier a 503,
// never a pass.
TEST_F(StagesTest, SessionCookieOnlyWhereDeclaredAndFailClosed) {
  int calls = 0;
  auto ok = [&](Exchange&) {
    ++calls;
    return http::Response::json(200, "{}");
  };
  EXPECT_EQ(run(kBearerLimited, cookie_request("GET"), ok).status, 401);
  EXPECT_EQ(fakes_.console.calls, 0);
  http::Request both = cookie_request("POST");
  both.add_header("Authorization", "Bearer good");
  EXPECT_EQ(run(kConsoleRoute, both, ok).status, 200);  // bearer: no CSRF needed
  EXPECT_EQ(fakes_.console.calls, 0);
  http::Request unknown = request_with("");
  unknown.add_header("Cookie", "latchkey_session=other");
  EXPECT_EQ(run(kConsoleRoute, unknown, ok).status, 401);
  fakes_.console.error = Error::unavailable("store down");
  EXPECT_EQ(run(kConsoleRoute, cookie_request("GET"), ok).status, 503);
  EXPECT_EQ(calls, 1);
}

// A Cookie header stuffed with session cookies costs at most
// kMaxSessionCookiesTried verifications (each is a store read), and a
// repeated value is verified once.
TEST_F(StagesTest, SessionCookiesTriedAreBounded) {
  auto ok = [](Exchange&) { return http::Response::json(200, "{}"); };
  std::string header = "latchkey_session=same; latchkey_session=same";
  for (int i = 0; i < 40; ++i) header += "; latchkey_session=bad" + std::to_string(i);
  http::Request stuffed = request_with("");
  stuffed.add_header("Cookie", header);
  EXPECT_EQ(run(kConsoleRoute, stuffed, ok).status, 401);
  EXPECT_EQ(fakes_.console.calls, static_cast<int>(kMaxSessionCookiesTried));
}

}  // namespace
}  // namespace latchkey::pipeline
