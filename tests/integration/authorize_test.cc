// POST /v1/authorize against a real latchkeyd: authentication (401 with the
// existing reasons, API access), client errors (400/404) and the seed-001
// rule that a principal with no permission set sees no records.
#include <gtest/gtest.h>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

std::vector<std::string> bearer(const std::string& token) {
  return {"Authorization: Bearer " + token, "Content-Type: application/json"};
}

class AuthorizeTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    HttpResult r = post("/api/v1/applications", bearer(admin_token()),
                        R"({"name":"Warehouse","steps":[{"name":"Intake","origin":true},)"
                        R"({"name":"Done"}]})");
    ASSERT_EQ(r.status, 201) << r.body;
    Json app = json_of(r);
    app_ = app["id"];
    intake_ = app["steps"][0]["id"];
    done_ = app["steps"][1]["id"];
  }
  HttpResult authorize(const std::string& token, const std::string& body) {
    return post("/v1/authorize", bearer(token), body);
  }
  std::string read_body() const {
    return Json{{"action", "read_records"}, {"application", app_}, {"steps", {done_}}}.dump();
  }

  std::string app_, intake_, done_;
};

// Test that a service account without API access gets 401 on /v1/authorize
// and /api/v1/account/me (seed 001: "returns 401 on every call").
TEST_F(AuthorizeTest, NoApiAccessIs401Everywhere) {
  const Credentials svc = create_user_with_credentials("no-api", "service", true);
  const std::string token = issue_token(svc);
  ASSERT_EQ(authorize(token, read_body()).status, 403);  // authenticated, not yet entitled
  ASSERT_EQ(patch_user(svc.user_id, R"({"api_access":false})").status, 200);
  HttpResult r = authorize(token, read_body());
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(json_of(r)["error"], "invalid_token");
  EXPECT_EQ(json_of(r)["reason"], "api_access_disabled");
  HttpResult m = me(token);
  EXPECT_EQ(m.status, 401);
  EXPECT_EQ(json_of(m)["reason"], "api_access_disabled");
  // And no new credentials work either.
  EXPECT_EQ(issue(svc.client_id, svc.client_secret).status, 401);
}

// Test 401s for a missing or bad token, with the existing reasons.
TEST_F(AuthorizeTest, BadTokenIs401) {
  HttpResult none = post("/v1/authorize", {"Content-Type: application/json"}, read_body());
  EXPECT_EQ(none.status, 401);
  HttpResult bad = authorize("lk_at_notARealToken", read_body());
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(json_of(bad)["error"], "invalid_token");
  EXPECT_FALSE(bad.header("www-authenticate").empty());
}

// Test that a principal with an entitlement but no permission set is denied
// read_records (seed 001: "no Permission Set sees no Records").
TEST_F(AuthorizeTest, NoPermissionSetSeesNoRecords) {
  const Credentials svc = create_user_with_credentials("reader", "service", true);
  ASSERT_EQ(send("PUT", "/api/v1/users/" + svc.user_id + "/entitlements/" + app_,
                 bearer(admin_token()), R"({"access":"edit"})")
                .status,
            200);
  HttpResult r = authorize(issue_token(svc), read_body());
  EXPECT_EQ(r.status, 403) << r.body;
  Json j = json_of(r);
  EXPECT_EQ(j["decision"], "deny");
  EXPECT_EQ(j["reason"], "step_permission_missing");
  EXPECT_EQ(j["step"], done_);
  EXPECT_EQ(j["required"], "read");
}

// Test that a principal with nothing is denied with the entitlement missing.
TEST_F(AuthorizeTest, NoEntitlementSeesNothing) {
  const Credentials svc = create_user_with_credentials("nobody", "service", true);
  HttpResult r = authorize(issue_token(svc), read_body());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(json_of(r)["reason"], "application_entitlement_missing");
  EXPECT_EQ(json_of(r)["application"], app_);
}

// Test the client errors: malformed body, unknown action (400), steps
// missing (400), unknown application or step (404).
TEST_F(AuthorizeTest, ClientErrors) {
  const std::string token = issue_token(create_user_with_credentials("c", "service", true));
  auto expect = [&](const std::string& body, long status, const std::string& reason) {
    HttpResult r = authorize(token, body);
    EXPECT_EQ(r.status, status) << body << ": " << r.body;
    Json j = json_of(r);
    EXPECT_TRUE(j.contains("error_description")) << r.body;
    if (!reason.empty()) {
      EXPECT_EQ(j["reason"], reason) << r.body;
    }
  };
  expect("not json", 400, "");
  expect(R"({"application":")" + app_ + R"("})", 400, "");
  expect(R"({"action":"fly","application":")" + app_ + R"("})", 400, "unknown_action");
  expect(R"({"action":"read_records","application":")" + app_ + R"("})", 400, "steps_required");
  expect(R"({"action":"read_records","application":")" + app_ + R"(","steps":"x"})", 400, "");
  expect(
      R"({"action":"read_records","application":")" + app_ + R"(","admin_data":1,"steps":["a"]})",
      400, "");
  expect(R"({"action":"read_records","application":")" + app_ + R"(","bogus":1})", 400, "");
  expect(R"({"action":"create_record","application":"app_nope"})", 404, "unknown_application");
  expect(R"({"action":"read_records","application":")" + app_ + R"(","steps":["stp_nope"]})", 404,
         "unknown_step");
}

// Test that the admin, who holds ADMIN but no entitlement, is denied too:
// ADMIN administers latchkey, it is not a wildcard.
TEST_F(AuthorizeTest, AdminModuleIsNotAWildcard) {
  HttpResult r = authorize(admin_token(), read_body());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(json_of(r)["reason"], "application_entitlement_missing");
}

}  // namespace
}  // namespace latchkey::testing

namespace latchkey::testing {
namespace {

// Test that every decision is in the audit trail, attributed to the
// integration (seed 001: "audit logs attribute each API call to a single
// integration"), with the decision and the reason.
TEST_F(AuthorizeTest, DecisionsAreAudited) {
  const Credentials svc = create_user_with_credentials("audited", "service", true);
  const std::string token = issue_token(svc);
  std::vector<std::string> headers = bearer(token);
  headers.push_back("X-Integration: risk-sync");
  ASSERT_EQ(post("/v1/authorize", headers, read_body()).status, 403);
  HttpResult r = get("/api/v1/audit", bearer(admin_token()));
  ASSERT_EQ(r.status, 200) << r.body;
  bool found = false;
  const Json events = json_of(r)["events"];
  for (const Json& e : events) {
    if (e["action"] != "authorize.read_records") continue;
    found = true;
    EXPECT_EQ(e["principal_id"], svc.user_id);
    EXPECT_EQ(e["resource"], "application/" + app_);
    EXPECT_EQ(e["decision"], "deny");
    EXPECT_EQ(e["reason"], "application_entitlement_missing");
    EXPECT_EQ(e["integration"], "risk-sync");
  }
  EXPECT_TRUE(found) << r.body;
}

}  // namespace
}  // namespace latchkey::testing
