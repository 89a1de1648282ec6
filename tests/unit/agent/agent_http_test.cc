#include "agent/agent_http.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace latchkey::agent {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

KeeperStatus with_token() {
  KeeperStatus status;
  status.state = TokenState::kValid;
  status.token = client::Token{"tok-value", kNow + 900};
  status.issued_at = kNow - 10;
  status.refresh_at = kNow + 700;
  status.issued_total = 1;
  return status;
}

std::string body_of(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

std::string get(const std::string& path, const std::string& headers = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: agent\r\n" + headers + "\r\n";
}

// Test that GET /token answers JSON by default and text on request.
TEST(AgentHttpTest, ServesTheTokenAsJsonOrText) {
  const std::string json = answer_agent_request(get("/token"), true, with_token(), kNow);
  EXPECT_TRUE(json.starts_with("HTTP/1.1 200 OK\r\n")) << json;
  EXPECT_NE(json.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(json.find("Cache-Control: no-store\r\n"), std::string::npos);
  const auto parsed = nlohmann::json::parse(body_of(json));
  EXPECT_EQ(parsed["access_token"], "tok-value");
  EXPECT_EQ(parsed["expires_at"], kNow + 900);

  const std::string text =
      answer_agent_request(get("/token", "Accept: text/plain\r\n"), true, with_token(), kNow);
  EXPECT_NE(text.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_EQ(body_of(text), "tok-value\n");
  // JSON wins when both are acceptable.
  const std::string both = answer_agent_request(
      get("/token?x=1", "accept: text/plain, application/json\r\n"), true, with_token(), kNow);
  EXPECT_NE(both.find("application/json"), std::string::npos);
}

// Test that without a usable token /token answers 503 with the reason and
// Retry-After, and never the stale token.
TEST(AgentHttpTest, NoTokenWhileSuperseded) {
  KeeperStatus status = with_token();
  status.state = TokenState::kSuperseded;
  status.token.reset();
  status.next_issue_at = kNow + 30;
  const std::string response = answer_agent_request(get("/token"), true, status, kNow);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 503 ")) << response;
  EXPECT_NE(response.find("Retry-After: 30\r\n"), std::string::npos);
  const auto body = nlohmann::json::parse(body_of(response));
  EXPECT_EQ(body["error"], "token_unavailable");
  EXPECT_EQ(body["reason"], "superseded");
  EXPECT_EQ(response.find("tok-value"), std::string::npos);
}

// Test that /healthz reports the supersede counter and who superseded.
TEST(AgentHttpTest, HealthCountsSupersedes) {
  KeeperStatus status = with_token();
  status.superseded_total = 2;
  status.last_superseded = SupersedeInfo{.detected_at = kNow - 5,
                                         .at = "2027-01-15T08:00:00.000Z",
                                         .by_client_id = "cli_other",
                                         .by_ip = "10.0.0.7",
                                         .by_user_agent = "curl/7.88"};
  const std::string response = answer_agent_request(get("/healthz"), true, status, kNow);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
  const auto body = nlohmann::json::parse(body_of(response));
  EXPECT_EQ(body["status"], "degraded");
  EXPECT_EQ(body["superseded_total"], 2);
  EXPECT_EQ(body["last_superseded"]["by_client_id"], "cli_other");
  EXPECT_EQ(body["token_state"], "valid");
  EXPECT_EQ(response.find("tok-value"), std::string::npos);  // health never shows the token

  // An hour later it is "ok" again; without a token it is 503 "unavailable".
  EXPECT_EQ(nlohmann::json::parse(health_json(status, kNow + 3600))["status"], "ok");
  status.token.reset();
  status.state = TokenState::kNone;
  EXPECT_TRUE(
      answer_agent_request(get("/healthz"), true, status, kNow).starts_with("HTTP/1.1 503"));
}

// Test the answers to everything else.
TEST(AgentHttpTest, RefusesOtherRequests) {
  const KeeperStatus status = with_token();
  EXPECT_TRUE(answer_agent_request(get("/other"), true, status, kNow).starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(answer_agent_request("POST /token HTTP/1.1\r\n\r\n", true, status, kNow)
                  .starts_with("HTTP/1.1 405"));
  EXPECT_TRUE(
      answer_agent_request("garbage\r\n\r\n", true, status, kNow).starts_with("HTTP/1.1 400"));
  EXPECT_TRUE(answer_agent_request(std::string(9000, 'a'), false, status, kNow)
                  .starts_with("HTTP/1.1 431"));
  const std::string head = answer_agent_request("HEAD /token HTTP/1.1\r\n\r\n", true, status, kNow);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
}

}  // namespace
}  // namespace latchkey::agent
