// Seed 000, verbatim: the account-token lifecycle against a real latchkeyd.
#include <gtest/gtest.h>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

class AccountTokenFlow : public ServerTest {};

// Test that POST /api/v1/account/token answers exactly the seed's shape and the token works.
TEST_F(AccountTokenFlow, IssuesTokenInTheSeedShape) {
  HttpResult r = issue(admin().client_id, admin().client_secret);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  Json j = json_of(r);
  EXPECT_EQ(j.size(), 4u) << j.dump();
  EXPECT_TRUE(j["access_token"].get<std::string>().starts_with("lk_at_"));
  EXPECT_EQ(j["token_type"], "bearer");
  EXPECT_EQ(j["expires_in"], 31536000);  // one year
  EXPECT_EQ(j["scope"], "read write");

  HttpResult who = me(j["access_token"]);
  ASSERT_EQ(who.status, 200) << who.body;
  Json w = json_of(who);
  EXPECT_EQ(w["id"], admin().user_id);
  EXPECT_EQ(w["name"], "admin");
  EXPECT_EQ(w["client_id"], admin().client_id);
  EXPECT_EQ(w["modules"], Json::array({"ADMIN"}));
  EXPECT_LE(w["token"]["expires_in"], 31536000);
  EXPECT_GE(w["token"]["expires_in"], 31535990);
}

// Test that each issuance deletes every earlier token of the user, whichever
// machine asked, and that the 401 names when and who regenerated it.
TEST_F(AccountTokenFlow, IssuingSupersedesEarlierTokensFromAnyClient) {
  const Credentials svc = create_user_with_credentials("risk-sync", "service", true);
  const std::string first = issue_token(svc, "machine-a/1.0");
  ASSERT_EQ(me(first).status, 200);
  const std::string second = issue_token(svc, "machine-b/2.0");

  HttpResult old = me(first);
  EXPECT_EQ(old.status, 401);
  EXPECT_NE(old.header("www-authenticate").find("error=\"invalid_token\""), std::string::npos);
  EXPECT_NE(old.header("www-authenticate").find("superseded"), std::string::npos);
  Json e = json_of(old);
  EXPECT_EQ(e["error"], "invalid_token");
  EXPECT_EQ(e["reason"], "superseded");
  EXPECT_EQ(e["superseded_by_user_agent"], "machine-b/2.0");
  EXPECT_EQ(e["superseded_by_ip"], "127.0.0.1");
  EXPECT_EQ(e["superseded_by_client_id"], svc.client_id);
  EXPECT_FALSE(e["superseded_at"].get<std::string>().empty());
  EXPECT_NE(e["error_description"].get<std::string>().find("machine-b/2.0"), std::string::npos);

  EXPECT_EQ(me(second).status, 200);
}

// Test that disabling a user deletes their tokens at once and blocks issuance;
// re-enabling does not bring old tokens back.
TEST_F(AccountTokenFlow, DisablingTheUserDeletesTheirTokens) {
  const Credentials svc = create_user_with_credentials("etl", "service", true);
  const std::string token = issue_token(svc);
  ASSERT_EQ(me(token).status, 200);

  ASSERT_EQ(patch_user(svc.user_id, R"({"disabled": true})").status, 200);
  HttpResult r = me(token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json_of(r)["reason"], "user_disabled");

  HttpResult refused = issue(svc.client_id, svc.client_secret);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused)["error"], "invalid_client");
  EXPECT_EQ(json_of(refused)["reason"], "user_disabled");

  ASSERT_EQ(patch_user(svc.user_id, R"({"disabled": false})").status, 200);
  EXPECT_EQ(me(token).status, 401);
  EXPECT_EQ(me(issue_token(svc)).status, 200);
}

// Test that a user without API access gets 401 on every call (seed 001), and
// that the flag takes effect on a token already in use.
TEST_F(AccountTokenFlow, ApiAccessDisabledIsRefusedEverywhere) {
  const Credentials off = create_user_with_credentials("no-api", "service", false);
  HttpResult r = issue(off.client_id, off.client_secret);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json_of(r)["reason"], "api_access_disabled");

  const Credentials on = create_user_with_credentials("with-api", "service", true);
  const std::string token = issue_token(on);
  ASSERT_EQ(me(token).status, 200);
  ASSERT_EQ(patch_user(on.user_id, R"({"api_access": false})").status, 200);
  HttpResult refused = me(token);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused)["reason"], "api_access_disabled");
  EXPECT_EQ(send("DELETE", "/api/v1/account/token", {bearer_header(token)}).status, 401);

  ASSERT_EQ(patch_user(on.user_id, R"({"api_access": true})").status, 200);
  EXPECT_EQ(me(token).status, 200);
}

// Test that a token presented after its lifetime answers 401 expired (the
// clock is moved, not waited for).
TEST_F(AccountTokenFlow, ExpiredTokenAnswers401) {
  const std::string token = issue_token(admin());
  ASSERT_EQ(me(token).status, 200);  // now cached: expiry must still be checked
  server_->advance_clock_seconds(31536000 - 10);
  EXPECT_EQ(me(token).status, 200);
  server_->advance_clock_seconds(11);
  HttpResult r = me(token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json_of(r)["reason"], "expired");
  EXPECT_FALSE(json_of(r)["expired_at"].get<std::string>().empty());
  // Still explained on later uses, after it was removed.
  EXPECT_EQ(json_of(me(token))["reason"], "expired");
}

// Test that the owner revokes their token without getting a replacement.
TEST_F(AccountTokenFlow, RevokeWithoutReplacement) {
  const Credentials svc = create_user_with_credentials("revoker", "service", true);
  const std::string token = issue_token(svc);
  HttpResult r = send("DELETE", "/api/v1/account/token", {bearer_header(token)});
  EXPECT_EQ(r.status, 204);
  HttpResult after = me(token);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(json_of(after)["reason"], "revoked");
  EXPECT_EQ(send("DELETE", "/api/v1/account/token", {bearer_header(token)}).status, 401);
}

// Test that an admin revokes another user's tokens without replacement.
TEST_F(AccountTokenFlow, AdminRevokesAUsersTokens) {
  const Credentials svc = create_user_with_credentials("leaked", "service", true);
  const std::string token = issue_token(svc);
  HttpResult r =
      send("DELETE", "/api/v1/users/" + svc.user_id + "/tokens", {bearer_header(admin_token())});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["revoked"], 1);
  EXPECT_EQ(json_of(me(token))["reason"], "revoked");
}

// Test that resetting the Client Secret stops the old one at once, keeps the
// client id, and leaves the current token valid until it is regenerated.
TEST_F(AccountTokenFlow, SecretResetStopsTheOldSecret) {
  const Credentials svc = create_user_with_credentials("rotating", "service", true);
  const std::string token = issue_token(svc);
  HttpResult reset = post("/api/v1/users/me/access-key", {bearer_header(token)});
  ASSERT_EQ(reset.status, 200) << reset.body;
  Json fresh = json_of(reset);
  EXPECT_EQ(fresh["client_id"], svc.client_id);
  EXPECT_NE(fresh["client_secret"], svc.client_secret);

  HttpResult old = issue(svc.client_id, svc.client_secret);
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(json_of(old)["error"], "invalid_client");
  EXPECT_EQ(me(token).status, 200);
  EXPECT_EQ(issue(svc.client_id, fresh["client_secret"]).status, 200);
}

// Test that /me needs a token and that every response carries a request id.
TEST_F(AccountTokenFlow, MissingTokenAndRequestIds) {
  HttpResult r = get("/api/v1/account/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json_of(r)["error"], "unauthorized");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"latchkey\"");
  EXPECT_FALSE(r.header("x-request-id").empty());
  HttpResult echoed = get("/healthz", {"X-Request-Id: trace-123"});
  EXPECT_EQ(echoed.status, 200);
  EXPECT_EQ(echoed.header("x-request-id"), "trace-123");
}

class ShortLivedTokens : public ServerTest {
  std::vector<std::string> server_args() override { return {"--account-token-ttl", "60"}; }
};

// Test that the token lifetime is configurable.
TEST_F(ShortLivedTokens, LifetimeIsConfigurable) {
  HttpResult r = issue(admin().client_id, admin().client_secret);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json_of(r)["expires_in"], 60);
  server_->advance_clock_seconds(61);
  EXPECT_EQ(json_of(me(json_of(r)["access_token"]))["reason"], "expired");
}

}  // namespace
}  // namespace latchkey::testing
