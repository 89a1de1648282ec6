// POST /api/v1/users/{id}/authorize against a real latchkeyd: an
// administrator's what-if equals POST /v1/authorize asked with the user's
// own account token for a table of (action, step) cases, says 401 with
// /v1/authorize's reasons for a user without API access or disabled, is
// ADMIN only, is audited as the admin's policy.what_if, and is never
// counted as the user's use of a grant by the least-privilege report.
#include <gtest/gtest.h>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

std::vector<std::string> bearer(const std::string& token) {
  return {"Authorization: Bearer " + token, "Content-Type: application/json"};
}

class WhatIfTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Json app = admin_ok("POST", "/api/v1/applications",
                        R"({"name":"Warehouse","steps":[{"name":"Intake","origin":true},)"
                        R"({"name":"Review"},{"name":"Done"}]})",
                        201);
    app_ = app["id"];
    intake_ = app["steps"][0]["id"];
    review_ = app["steps"][1]["id"];
    done_ = app["steps"][2]["id"];
    // The account of permissions.md's walkthrough: RECORDS, Edit on Intake,
    // Read on Review, nothing on Done, an Edit entitlement, no build access.
    svc_ = create_user_with_credentials("risk-sync", "service", true);
    Json role = admin_ok("POST", "/api/v1/roles", R"({"name":"Risk Sync"})", 201);
    const std::string rid = role["id"];
    admin_ok("PUT", "/api/v1/roles/" + rid + "/modules/RECORDS");
    Json set = admin_ok(
        "POST", "/api/v1/permission-sets",
        Json{{"name", "Risk Sync steps"}, {"steps", {{intake_, "edit"}, {review_, "read"}}}}.dump(),
        201);
    admin_ok("PUT", "/api/v1/roles/" + rid + "/permission-sets/" + set["id"].get<std::string>());
    admin_ok("PUT", "/api/v1/users/" + svc_.user_id + "/entitlements/" + app_,
             R"({"access":"edit"})");
    admin_ok("PUT", "/api/v1/users/" + svc_.user_id + "/roles/" + rid);
  }

  Json admin_ok(const std::string& method, const std::string& path, const std::string& body = "",
                long status = 200) {
    HttpResult r = send(method, path, bearer(admin_token()), body);
    EXPECT_EQ(r.status, status) << method << " " << path << ": " << r.body;
    return r.body.empty() ? Json() : json_of(r);
  }

  HttpResult what_if(const std::string& user_id, const std::string& body,
                     const std::string& token = "") {
    return post("/api/v1/users/" + user_id + "/authorize",
                bearer(token.empty() ? admin_token() : token), body);
  }

  // The table: every action of seed 001, with and without each step.
  std::vector<Json> cases() const {
    std::vector<Json> out;
    for (const char* action : {"read_records", "create_record", "update_record", "bulk_import",
                               "read_table_report", "audit_export", "modify_application_design"}) {
      out.push_back({{"action", action}, {"application", app_}});
      for (const std::string& step : {intake_, review_, done_}) {
        out.push_back({{"action", action}, {"application", app_}, {"steps", {step}}});
      }
    }
    return out;
  }

  std::string app_, intake_, review_, done_;
  Credentials svc_;
};

// Test that for every case the what-if's answer is /v1/authorize's with the
// user's own token: the same status (as "status") and the same body.
TEST_F(WhatIfTest, EqualsAuthorizeWithTheUsersOwnToken) {
  const std::string token = issue_token(svc_);
  int allowed = 0;
  int denied = 0;
  int client_errors = 0;
  for (const Json& c : cases()) {
    HttpResult own = post("/v1/authorize", bearer(token), c.dump());
    HttpResult asked = what_if(svc_.user_id, c.dump());
    if (own.status == 400 || own.status == 404) {  // e.g. steps required: the admin's mistake too
      EXPECT_EQ(asked.status, own.status) << c.dump() << ": " << asked.body;
      EXPECT_EQ(json_of(asked)["reason"], json_of(own)["reason"]) << c.dump();
      ++client_errors;
      continue;
    }
    ASSERT_EQ(asked.status, 200) << c.dump() << ": " << asked.body;
    Json answer = json_of(asked);
    EXPECT_EQ(answer["status"], own.status) << c.dump();
    answer.erase("status");
    EXPECT_EQ(answer, json_of(own))
        << c.dump() << "\nwhat-if: " << asked.body << "\n/v1/authorize: " << own.body;
    (own.status == 200 ? allowed : denied)++;
  }
  // The table covers both answers.
  EXPECT_GT(allowed, 0);
  EXPECT_GT(denied, 0);
  (void)client_errors;
}

// Test that without API access, and when disabled, the answer is the 401
// /v1/authorize would give, with its reason; never an allow.
TEST_F(WhatIfTest, NoApiAccessAndDisabledAre401) {
  const std::string token = issue_token(svc_);
  const std::string body =
      Json{{"action", "read_records"}, {"application", app_}, {"steps", {intake_}}}.dump();
  ASSERT_EQ(json_of(what_if(svc_.user_id, body))["decision"], "allow");

  ASSERT_EQ(patch_user(svc_.user_id, R"({"api_access":false})").status, 200);
  HttpResult own = post("/v1/authorize", bearer(token), body);
  ASSERT_EQ(own.status, 401);
  Json answer = json_of(what_if(svc_.user_id, body));
  EXPECT_EQ(answer["status"], 401) << answer.dump();
  EXPECT_EQ(answer["error"], "invalid_token");
  EXPECT_EQ(answer["reason"], json_of(own)["reason"]);
  EXPECT_EQ(answer["reason"], "api_access_disabled");
  EXPECT_FALSE(answer.contains("decision") && answer["decision"] == "allow");

  ASSERT_EQ(patch_user(svc_.user_id, R"({"api_access":true,"disabled":true})").status, 200);
  own = post("/v1/authorize", bearer(token), body);
  ASSERT_EQ(own.status, 401);
  answer = json_of(what_if(svc_.user_id, body));
  EXPECT_EQ(answer["status"], 401) << answer.dump();
  EXPECT_EQ(answer["reason"], "user_disabled");
  EXPECT_EQ(json_of(own)["reason"], "user_disabled");
}

// Test that only ADMIN may ask (403 admin_required; the user asking about
// itself too), and that an unknown user is a 404.
TEST_F(WhatIfTest, NonAdminGets403) {
  const std::string body =
      Json{{"action", "read_records"}, {"application", app_}, {"steps", {intake_}}}.dump();
  const Credentials other = create_user_with_credentials("someone", "human", true);
  for (const std::string& token : {issue_token(other), issue_token(svc_)}) {
    HttpResult r = what_if(svc_.user_id, body, token);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(json_of(r)["error"], "forbidden");
    EXPECT_FALSE(json_of(r).contains("decision")) << r.body;
  }
  HttpResult unknown = what_if("usr_doesNotExist0000000", body);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpResult no_body = what_if(svc_.user_id, "{}");
  EXPECT_EQ(no_body.status, 400) << no_body.body;
}

// Test that a what-if is the admin's policy.what_if in the trail and does
// not mark the user's grants used: the least-privilege report still calls
// the entitlement and role unused, as it does once the user asks itself.
TEST_F(WhatIfTest, IsAuditedAsTheAdminAndNotCountedAsUse) {
  const std::string body =
      Json{{"action", "update_record"}, {"application", app_}, {"steps", {intake_}}}.dump();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(json_of(what_if(svc_.user_id, body))["decision"], "allow");

  auto report_of = [&](const std::string& user_id) {
    Json report = admin_ok("GET", "/api/v1/reports/least-privilege");
    for (const Json& p : report["principals"]) {
      if (p["user_id"] == user_id) return p;
    }
    ADD_FAILURE() << "no report row for " << user_id;
    return Json();
  };
  Json before = report_of(svc_.user_id);
  EXPECT_TRUE(before["actions_used"].empty()) << before.dump(2);
  EXPECT_EQ(before["modules_used"], Json::array()) << before.dump(2);
  EXPECT_EQ(before["applications"][0]["used"], false) << before.dump(2);
  EXPECT_EQ(before["roles"][0]["used"], false) << before.dump(2);

  Json trail = admin_ok("GET", "/api/v1/audit?action=policy.what_if");
  ASSERT_EQ(trail["events"].size(), 1u) << trail.dump(2);  // identical calls: one event
  const Json& e = trail["events"][0];
  EXPECT_EQ(e["principal_id"], json_of(me(admin_token()))["id"]);
  EXPECT_EQ(e["resource"], "user/" + svc_.user_id + "/application/" + app_);
  EXPECT_EQ(e["decision"], "allow");
  EXPECT_EQ(e["count"], 3);

  // The same question asked by the account itself is use.
  ASSERT_EQ(post("/v1/authorize", bearer(issue_token(svc_)), body).status, 200);
  Json after = report_of(svc_.user_id);
  EXPECT_EQ(after["applications"][0]["used"], true) << after.dump(2);
  EXPECT_EQ(after["roles"][0]["used"], true) << after.dump(2);
}

}  // namespace
}  // namespace latchkey::testing
