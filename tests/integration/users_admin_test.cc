// The admin surface of the foundation: users, and who may reset whose secret.
#include <gtest/gtest.h>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

class UsersAdmin : public ServerTest {};

// Test that an admin creates users of both types and reads them back.
TEST_F(UsersAdmin, CreateListAndGet) {
  HttpResult r =
      post("/api/v1/users", {bearer_header(admin_token())},
           R"({"name": "Integration: Risk Sync", "type": "service", "api_access": true})");
  ASSERT_EQ(r.status, 201) << r.body;
  Json u = json_of(r);
  EXPECT_TRUE(u["id"].get<std::string>().starts_with("usr_"));
  EXPECT_EQ(u["type"], "service");
  EXPECT_EQ(u["api_access"], true);
  EXPECT_EQ(u["disabled"], false);
  EXPECT_TRUE(u["client_id"].is_null());

  HttpResult dup = post("/api/v1/users", {bearer_header(admin_token())},
                        R"({"name": "Integration: Risk Sync", "type": "human"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(json_of(dup)["error"], "conflict");

  HttpResult list = get("/api/v1/users", {bearer_header(admin_token())});
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json_of(list)["users"].size(), 2u);
  EXPECT_EQ(json_of(get("/api/v1/users/" + u["id"].get<std::string>(),
                        {bearer_header(admin_token())}))["name"],
            "Integration: Risk Sync");
  EXPECT_EQ(get("/api/v1/users/usr_missing", {bearer_header(admin_token())}).status, 404);
}

// Test that non-admins get 403 on admin operations but may read themselves.
TEST_F(UsersAdmin, NonAdminsAreForbidden) {
  const Credentials svc = create_user_with_credentials("plain", "service", true);
  const std::string token = issue_token(svc);
  const std::vector<std::pair<std::string, std::string>> forbidden = {
      {"POST", "/api/v1/users"},
      {"GET", "/api/v1/users"},
      {"GET", "/api/v1/users/" + admin().user_id},
      {"PATCH", "/api/v1/users/" + admin().user_id},
      {"POST", "/api/v1/users/" + admin().user_id + "/access-key"},
      {"DELETE", "/api/v1/users/" + admin().user_id + "/tokens"},
  };
  for (const auto& [method, path] : forbidden) {
    HttpResult r = send(method, path, {bearer_header(token)},
                        R"({"name":"x","type":"human","disabled":true})");
    EXPECT_EQ(r.status, 403) << method << " " << path << " " << r.body;
    EXPECT_EQ(json_of(r)["error"], "forbidden");
  }
  HttpResult self = get("/api/v1/users/me", {bearer_header(token)});
  EXPECT_EQ(self.status, 200);
  EXPECT_EQ(json_of(self)["id"], svc.user_id);
}

// Test the separation of duties on secrets: an admin enrols a human once but
// never resets a human's secret; the human resets their own.
TEST_F(UsersAdmin, AdminNeverResetsAHumansSecret) {
  const std::string human = create_user("alice", "human", true);
  HttpResult enrol = post("/api/v1/users/" + human + "/access-key", {bearer_header(admin_token())});
  ASSERT_EQ(enrol.status, 200) << enrol.body;
  Credentials alice{human, json_of(enrol)["client_id"], json_of(enrol)["client_secret"]};

  HttpResult again = post("/api/v1/users/" + human + "/access-key", {bearer_header(admin_token())});
  EXPECT_EQ(again.status, 403);
  EXPECT_EQ(issue(alice.client_id, alice.client_secret).status, 200);  // untouched

  // seed 000: "If this is your FIRST TIME using our API, please reset your secret."
  const std::string token = issue_token(alice);
  HttpResult own = post("/api/v1/users/" + human + "/access-key", {bearer_header(token)});
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(issue(alice.client_id, alice.client_secret).status, 401);

  // Service accounts are the admin's to rotate, any number of times.
  const Credentials svc = create_user_with_credentials("svc", "service", true);
  EXPECT_EQ(
      post("/api/v1/users/" + svc.user_id + "/access-key", {bearer_header(admin_token())}).status,
      200);
}

// Test that an admin cannot lock themselves out.
TEST_F(UsersAdmin, AdminCannotDisableThemselves) {
  EXPECT_EQ(patch_user(admin().user_id, R"({"disabled": true})").status, 403);
  EXPECT_EQ(patch_user("me", R"({"api_access": false})").status, 403);
  EXPECT_EQ(me(admin_token()).status, 200);
}

// Test that no secret handed out during a session appears in the server's log.
TEST_F(UsersAdmin, SecretsNeverReachTheLog) {
  const Credentials svc = create_user_with_credentials("quiet", "service", true);
  const std::string token = issue_token(svc);
  me(token);
  me(token + "x");
  issue(svc.client_id, svc.client_secret + "x");
  // A token misplaced into a request id or a path is neither echoed nor logged.
  HttpResult echoed = get("/healthz", {"X-Request-Id: " + token});
  EXPECT_NE(echoed.header("x-request-id"), token);
  get("/api/v1/" + token);
  get("/api/v1/users/" + svc.client_secret, {bearer_header(admin_token())});
  ASSERT_EQ(server_->stop_gracefully(), 0);  // flushes the asynchronous access log
  const std::string log = server_->output();
  EXPECT_EQ(log.find(svc.client_secret), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos);
  EXPECT_EQ(log.find("lk_at_"), std::string::npos);
  EXPECT_EQ(log.find("lk_sec_"), log.rfind("lk_sec_")) << "only the first start's banner";
  EXPECT_NE(log.find("\"path\":\"/api/v1/account/me\""), std::string::npos) << "access log missing";
}

}  // namespace
}  // namespace latchkey::testing
