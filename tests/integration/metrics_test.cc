// /metrics, /healthz and /readyz against a real latchkeyd (docs/metrics.md).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "server_fixture.h"

namespace latchkey::testing {
namespace {

// The value of one sample line "name{labels} value", or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const auto end = text.find('\n', at);
      return std::stod(text.substr(at + prefix.size(), end - at - prefix.size()));
    }
    at += prefix.size();
  }
  return -1;
}

using Metrics = ServerTest;

TEST_F(Metrics, CountsRequestsByRoutePatternAndStatus) {
  const std::string token = admin_token();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(me(token).status, 200);
  ASSERT_EQ(me("lk_at_nottoken").status, 401);
  ASSERT_EQ(get("/api/v1/users/usr_doesnotexist", {"Authorization: Bearer " + token}).status, 404);
  ASSERT_EQ(get("/no/such/path/lk_at_secretish").status, 404);

  const HttpResult r = get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r.body;
  EXPECT_EQ(
      sample(
          text,
          R"(latchkey_http_requests_total{route="/api/v1/account/me",method="GET",status="200"})"),
      3);
  EXPECT_EQ(
      sample(
          text,
          R"(latchkey_http_requests_total{route="/api/v1/account/me",method="GET",status="401"})"),
      1);
  // Labels are route patterns, never raw paths: no user id, no token.
  EXPECT_EQ(
      sample(
          text,
          R"(latchkey_http_requests_total{route="/api/v1/users/{id}",method="GET",status="404"})"),
      1);
  EXPECT_EQ(
      sample(text, R"(latchkey_http_requests_total{route="unmatched",method="GET",status="404"})"),
      1);
  EXPECT_EQ(text.find("usr_doesnotexist"), std::string::npos);
  EXPECT_EQ(text.find("lk_at_"), std::string::npos);
  // Latency histogram of /me: 4 observations so far.
  EXPECT_EQ(sample(text, R"(latchkey_http_request_seconds_count{route="/api/v1/account/me"})"), 4);
  EXPECT_EQ(
      sample(text, R"(latchkey_http_request_seconds_bucket{route="/api/v1/account/me",le="+Inf"})"),
      4);
}

TEST_F(Metrics, ExposesCacheStoreAndAuditFigures) {
  const std::string token = admin_token();  // issuing it wrote to the store
  for (int i = 0; i < 5; ++i) ASSERT_EQ(me(token).status, 200);
  const std::string text = get("/metrics").body;
  EXPECT_GE(sample(text, R"(latchkey_account_token_cache_lookups_total{outcome="hit"})"), 4);
  EXPECT_GE(sample(text, R"(latchkey_store_seconds_count{op="write"})"), 1);
  EXPECT_GE(sample(text, R"(latchkey_store_seconds_count{op="read"})"), 1);
  EXPECT_GE(sample(text, "latchkey_audit_events_recorded_total"), 5);
  EXPECT_EQ(sample(text, "latchkey_audit_events_dropped_total"), 0);
  EXPECT_GE(sample(text, "latchkey_jwt_cache_hits_total"), 0);
  EXPECT_GE(sample(text, "latchkey_permission_cache_misses_total"), 0);
  EXPECT_NE(text.find("# TYPE latchkey_http_request_seconds histogram\n"), std::string::npos);
}

TEST_F(Metrics, HealthAndReadiness) {
  const HttpResult health = get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json_of(health)["status"], "ok");
  const HttpResult ready = get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json_of(ready)["status"], "ready");
  // One node on SQLite: nothing to miss (docs/operations.md).
  EXPECT_EQ(json_of(ready)["invalidation"], "ok");
}

}  // namespace
}  // namespace latchkey::testing
