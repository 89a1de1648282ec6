// The permission model against a real latchkeyd (docs/permissions.md): seed
// 001's nine provisioning steps over HTTP and through the CLI, then
// /v1/authorize proves the decisions; the admin API's 403/400/404/409.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

std::vector<std::string> bearer(const std::string& token) {
  return {"Authorization: Bearer " + token, "Content-Type: application/json"};
}

class PermissionsTest : public ServerTest {
 protected:
  HttpResult admin_send(const std::string& method, const std::string& path,
                        const std::string& body = "") {
    return send(method, path, bearer(admin_token()), body);
  }
  Json admin_ok(const std::string& method, const std::string& path, const std::string& body = "",
                long status = 200) {
    HttpResult r = admin_send(method, path, body);
    EXPECT_EQ(r.status, status) << method << " " << path << ": " << r.body;
    return json_of(r);
  }
  HttpResult authorize(const std::string& token, const Json& body) {
    return post("/v1/authorize", bearer(token), body.dump());
  }

  // An application "Risk Register": Intake (origin), Review, Approve.
  void create_application() {
    Json app = admin_ok("POST", "/api/v1/applications",
                        R"({"name":"Risk Register","steps":[{"name":"Intake","origin":true},)"
                        R"({"name":"Review"},{"name":"Approve","origin":false}]})",
                        201);
    app_ = app["id"];
    intake_ = app["steps"][0]["id"];
    review_ = app["steps"][1]["id"];
    approve_ = app["steps"][2]["id"];
    EXPECT_EQ(app["origin_step"], intake_);
  }

  std::string app_, intake_, review_, approve_;
};

// Test seed 001's nine provisioning steps over HTTP, then that /v1/authorize
// allows the integration's actions and denies the others with the reason
// naming the missing piece; and that a role change applies at once.
TEST_F(PermissionsTest, NineStepsThenDecisions) {
  create_application();
  // 1. Create the service account user.
  Json user = admin_ok("POST", "/api/v1/users",
                       R"({"name":"risk-sync","type":"service","api_access":false})", 201);
  const std::string uid = user["id"];
  // 2. Enable API access.
  admin_ok("PATCH", "/api/v1/users/" + uid, R"({"api_access":true})");
  // 3. Generate Client and Secret keys.
  Json keys = admin_ok("POST", "/api/v1/users/" + uid + "/access-key");
  const Credentials svc{uid, keys["client_id"], keys["client_secret"]};
  // 4. Create a role for the integration.
  Json role = admin_ok("POST", "/api/v1/roles", R"({"name":"Integration: Risk Sync"})", 201);
  const std::string rid = role["id"];
  // 5. Attach the module entitlements.
  Json with_module = admin_ok("PUT", "/api/v1/roles/" + rid + "/modules/RECORDS");
  EXPECT_EQ(with_module["modules"], Json::array({"RECORDS"}));
  // 6. Attach a step permission set: Edit on Intake, Read on Review.
  Json set = admin_ok(
      "POST", "/api/v1/permission-sets",
      Json{{"name", "Risk Sync steps"}, {"steps", {{intake_, "edit"}, {review_, "read"}}}}.dump(),
      201);
  admin_ok("PUT", "/api/v1/roles/" + rid + "/permission-sets/" + set["id"].get<std::string>());
  // 7. Application entitlement: Edit.
  admin_ok("PUT", "/api/v1/users/" + uid + "/entitlements/" + app_, R"({"access":"edit"})");
  // 8. No build access: the integration only works on records.
  // 9. Grant the service account the role.
  Json grants = admin_ok("PUT", "/api/v1/users/" + uid + "/roles/" + rid);
  EXPECT_EQ(grants["roles"][0]["name"], "Integration: Risk Sync");

  const std::string token = issue_token(svc);
  auto expect_allow = [&](const Json& body) {
    HttpResult r = authorize(token, body);
    EXPECT_EQ(r.status, 200) << body.dump() << " -> " << r.body;
    EXPECT_EQ(json_of(r)["decision"], "allow");
  };
  auto expect_deny = [&](const Json& body, const std::string& reason) {
    HttpResult r = authorize(token, body);
    EXPECT_EQ(r.status, 403) << body.dump() << " -> " << r.body;
    Json j = json_of(r);
    EXPECT_EQ(j["error"], "forbidden");
    EXPECT_EQ(j["decision"], "deny");
    EXPECT_EQ(j["reason"], reason) << r.body;
    return j;
  };
  expect_allow({{"action", "create_record"}, {"application", app_}});
  expect_allow({{"action", "read_records"}, {"application", app_}, {"steps", {review_}}});
  expect_allow({{"action", "update_record"}, {"application", app_}, {"steps", {intake_}}});
  Json d = expect_deny({{"action", "update_record"}, {"application", app_}, {"steps", {review_}}},
                       "step_permission_missing");
  EXPECT_EQ(d["step"], review_);
  EXPECT_EQ(d["required"], "edit");
  d = expect_deny({{"action", "read_records"}, {"application", app_}, {"steps", {approve_}}},
                  "step_permission_missing");
  d = expect_deny({{"action", "bulk_import"}, {"application", app_}}, "module_missing");
  EXPECT_EQ(d["module"], "IMPORT");
  d = expect_deny({{"action", "read_table_report"}, {"application", app_}, {"steps", {review_}}},
                  "module_missing");
  EXPECT_EQ(d["module"], "TABLE_REPORTS_READ");
  d = expect_deny({{"action", "audit_export"}, {"application", app_}, {"steps", {review_}}},
                  "module_missing");
  EXPECT_EQ(d["module"], "STATUS");
  d = expect_deny({{"action", "modify_application_design"}, {"application", app_}},
                  "module_missing");
  EXPECT_EQ(d["module"], "BUILD");

  // Step 8 when the integration does change design: BUILD, then build access.
  admin_ok("PUT", "/api/v1/roles/" + rid + "/modules/BUILD");
  expect_deny({{"action", "modify_application_design"}, {"application", app_}},
              "build_access_missing");
  admin_ok("PUT", "/api/v1/users/" + uid + "/build-access/" + app_);
  expect_allow({{"action", "modify_application_design"}, {"application", app_}});

  // A change to the role changes its member's decisions at once.
  admin_ok("DELETE", "/api/v1/roles/" + rid + "/modules/RECORDS");
  expect_deny({{"action", "create_record"}, {"application", app_}}, "module_missing");
  admin_ok("PUT", "/api/v1/roles/" + rid + "/modules/RECORDS");
  expect_allow({{"action", "create_record"}, {"application", app_}});
  // Entitlement down to read: writes need edit.
  admin_ok("PUT", "/api/v1/users/" + uid + "/entitlements/" + app_, R"({"access":"read"})");
  d = expect_deny({{"action", "create_record"}, {"application", app_}},
                  "application_entitlement_missing");
  EXPECT_EQ(d["required"], "edit");
  // Leaving the role removes everything it carried.
  admin_ok("DELETE", "/api/v1/users/" + uid + "/roles/" + rid);
  expect_deny({{"action", "read_records"}, {"application", app_}, {"steps", {review_}}},
              "step_permission_missing");

  // Effective permissions are visible to the admin and to the user.
  Json eff = admin_ok("GET", "/api/v1/users/" + uid + "/permissions");
  EXPECT_EQ(eff["entitlements"][app_], "read");
  EXPECT_EQ(eff["roles"].size(), 0u);
  EXPECT_EQ(get("/api/v1/users/me/permissions", bearer(token)).status, 200);
  EXPECT_EQ(get("/api/v1/users/" + admin().user_id + "/permissions", bearer(token)).status, 403);
}

// Test that every admin endpoint answers 403 to a non-admin, before looking
// at the body.
TEST_F(PermissionsTest, AdminEndpointsRejectNonAdmins) {
  create_application();
  const Credentials svc = create_user_with_credentials("not-admin", "service", true);
  const std::string token = issue_token(svc);
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"POST", "/api/v1/applications"},
      {"GET", "/api/v1/applications"},
      {"GET", "/api/v1/applications/" + app_},
      {"POST", "/api/v1/applications/" + app_ + "/steps"},
      {"POST", "/api/v1/permission-sets"},
      {"GET", "/api/v1/permission-sets"},
      {"PUT", "/api/v1/permission-sets/psn_x/steps/" + intake_},
      {"DELETE", "/api/v1/permission-sets/psn_x/steps/" + intake_},
      {"POST", "/api/v1/roles"},
      {"GET", "/api/v1/roles"},
      {"GET", "/api/v1/roles/rol_x"},
      {"DELETE", "/api/v1/roles/rol_x"},
      {"PUT", "/api/v1/roles/rol_x/modules/ADMIN"},
      {"PUT", "/api/v1/roles/rol_x/permission-sets/psn_x"},
      {"PUT", "/api/v1/users/" + svc.user_id + "/roles/rol_x"},
      {"PUT", "/api/v1/users/" + svc.user_id + "/entitlements/" + app_},
      {"DELETE", "/api/v1/users/" + svc.user_id + "/entitlements/" + app_},
      {"PUT", "/api/v1/users/" + svc.user_id + "/build-access/" + app_},
      {"GET", "/api/v1/users/" + admin().user_id + "/permissions"},
  };
  for (const auto& [method, path] : calls) {
    HttpResult r = send(method, path, bearer(token), "not json");
    EXPECT_EQ(r.status, 403) << method << " " << path << ": " << r.body;
    EXPECT_EQ(json_of(r)["error"], "forbidden") << method << " " << path;
  }
  // Nothing was granted by any of it.
  Json eff = json_of(get("/api/v1/users/me/permissions", bearer(token)));
  EXPECT_TRUE(eff["roles"].empty());
  EXPECT_TRUE(eff["entitlements"].empty());
}

// Test that bad input is a 400 JSON error, unknown ids 404, duplicates 409.
TEST_F(PermissionsTest, BadInputUnknownIdsAndDuplicates) {
  create_application();
  const std::string uid = create_user("svc", "service", true);
  auto expect = [&](const std::string& method, const std::string& path, const std::string& body,
                    long status) {
    HttpResult r = admin_send(method, path, body);
    EXPECT_EQ(r.status, status) << method << " " << path << " " << body << ": " << r.body;
    Json j = json_of(r);
    EXPECT_TRUE(j.contains("error") && j.contains("error_description")) << r.body;
  };
  expect("POST", "/api/v1/applications", "not json", 400);
  expect("POST", "/api/v1/applications", R"({"name":"X"})", 400);
  expect("POST", "/api/v1/applications", R"({"name":"X","steps":[{"name":"A"}]})", 400);
  expect("POST", "/api/v1/applications",
         R"({"name":"X","steps":[{"name":"A","origin":true},{"name":"B","origin":true}]})", 400);
  expect("POST", "/api/v1/applications", R"({"name":"","steps":[{"name":"A","origin":true}]})",
         400);
  expect("POST", "/api/v1/applications", R"({"name":"X","steps":[{"name":"A","origin":"yes"}]})",
         400);
  expect("POST", "/api/v1/applications", R"({"name":"X","stepz":[{"name":"A","origin":true}]})",
         400);
  expect("POST", "/api/v1/applications",
         R"({"name":"Risk Register","steps":[{"name":"A","origin":true}]})", 409);
  expect("POST", "/api/v1/applications/" + app_ + "/steps", R"({"name":"Other","origin":true})",
         409);
  expect("POST", "/api/v1/applications/app_nope/steps", R"({"name":"Other"})", 404);
  expect("GET", "/api/v1/applications/app_nope", "", 404);
  expect("POST", "/api/v1/permission-sets",
         R"({"name":"S","steps":{")" + intake_ + R"(":"write"}})", 400);
  expect("POST", "/api/v1/permission-sets", R"({"name":"S","steps":[]})", 400);
  expect("POST", "/api/v1/permission-sets", R"({"name":"S","steps":{"stp_nope":"read"}})", 404);
  expect("POST", "/api/v1/roles", R"({"name":42})", 400);
  expect("POST", "/api/v1/roles", R"({"name":"R","modules":["NOPE"]})", 400);
  admin_ok("POST", "/api/v1/roles", R"({"name":"R"})", 201);
  expect("POST", "/api/v1/roles", R"({"name":"R"})", 409);
  expect("PUT", "/api/v1/roles/R/modules/NOT_A_MODULE", "", 400);
  expect("PUT", "/api/v1/roles/rol_nope/modules/RECORDS", "", 404);
  expect("PUT", "/api/v1/roles/R/permission-sets/psn_nope", "", 404);
  expect("GET", "/api/v1/roles/rol_nope", "", 404);
  expect("PUT", "/api/v1/users/usr_nope/roles/R", "", 404);
  expect("PUT", "/api/v1/users/" + uid + "/roles/rol_nope", "", 404);
  expect("PUT", "/api/v1/users/" + uid + "/entitlements/" + app_, R"({"access":"write"})", 400);
  expect("PUT", "/api/v1/users/" + uid + "/entitlements/" + app_, "", 400);
  expect("PUT", "/api/v1/users/" + uid + "/entitlements/app_nope", R"({"access":"read"})", 404);
  expect("PUT", "/api/v1/users/" + uid + "/build-access/app_nope", "", 404);
  Json set = admin_ok("POST", "/api/v1/permission-sets",
                      Json{{"name", "S"}, {"steps", {{intake_, "read"}}}}.dump(), 201);
  const std::string psn = set["id"];
  expect("PUT", "/api/v1/permission-sets/" + psn + "/steps/" + review_, R"({"access":"all"})", 400);
  expect("PUT", "/api/v1/permission-sets/" + psn + "/steps/stp_nope", R"({"access":"read"})", 404);
  expect("PUT", "/api/v1/permission-sets/psn_nope/steps/" + review_, R"({"access":"read"})", 404);
  Json changed =
      admin_ok("PUT", "/api/v1/permission-sets/S/steps/" + review_, R"({"access":"edit"})");
  EXPECT_EQ(changed["steps"][review_], "edit");
  changed = admin_ok("DELETE", "/api/v1/permission-sets/" + psn + "/steps/" + intake_);
  EXPECT_EQ(changed["steps"].size(), 1u);
  // Names work in paths, %-encoded.
  Json role = admin_ok("PUT", "/api/v1/roles/R/modules/records");
  EXPECT_EQ(role["modules"], Json::array({"RECORDS"}));
  admin_ok("PUT", "/api/v1/users/svc/entitlements/Risk%20Register", R"({"access":"read"})");
}

// --- the CLI --------------------------------------------------------------------------

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class ProvisioningCliTest : public PermissionsTest {
 protected:
  // Runs latchkey with the given credentials; `args` is shell text.
  CliRun cli(const std::string& args, const Credentials& creds) {
    const std::string err_path = server_->data_dir() + "/cli.err";
    const std::string cmd =
        "env -i HOME=" + server_->data_dir() + " LATCHKEY_URL=" + server_->url() +
        " LATCHKEY_CLIENT_ID=" + creds.client_id +
        " LATCHKEY_CLIENT_SECRET=" + creds.client_secret +
        " LATCHKEY_TOKEN_CACHE=" + server_->data_dir() + "/cache-" + creds.client_id + ".json " +
        LATCHKEY_CLI_PATH + " " + args + " 2>" + err_path;
    CliRun run;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) run.out.append(buf.data(), n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    FILE* err = fopen(err_path.c_str(), "r");
    while (std::size_t n = fread(buf.data(), 1, buf.size(), err)) run.err.append(buf.data(), n);
    fclose(err);
    return run;
  }
  Json ok(const std::string& args) {
    CliRun run = cli(args, admin());
    EXPECT_EQ(run.exit_code, 0) << args << "\n" << run.err;
    Json j = Json::parse(run.out, nullptr, false);
    return j;
  }
};

// Test the nine provisioning steps as nine CLI commands (plus the setup
// commands), then that `latchkey authorize` run as the service account
// allows the integration's actions and denies others with the reason.
TEST_F(ProvisioningCliTest, NineStepsThroughTheCli) {
  ok("applications create 'Risk Register' --origin-step Intake --step Review --step Approve");
  ok("permission-sets create 'Risk Sync steps' --app 'Risk Register' --edit Intake --read Review");
  // 1-3
  Json user = ok("users create risk-sync --type service");
  const std::string uid = user["id"];
  EXPECT_EQ(user["api_access"], false);
  ok("users api-access " + uid + " on");
  Json keys = ok("access-key reset --user " + uid);
  const Credentials svc{uid, keys["client_id"], keys["client_secret"]};
  // 4-9
  ok("roles create 'Integration: Risk Sync'");
  ok("roles add-module 'Integration: Risk Sync' RECORDS");
  ok("roles add-permission-set 'Integration: Risk Sync' 'Risk Sync steps'");
  ok("entitlements grant risk-sync 'Risk Register' edit");
  // Step 8 (build access) is skipped: this integration only works on records.
  Json grants = ok("roles grant 'Integration: Risk Sync' risk-sync");
  EXPECT_EQ(grants["roles"][0]["name"], "Integration: Risk Sync");

  CliRun allowed = cli("authorize create_record 'Risk Register'", svc);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(Json::parse(allowed.out, nullptr, false)["decision"], "allow") << allowed.out;
  allowed = cli("authorize read_records 'Risk Register' --step Review", svc);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;

  CliRun denied = cli("authorize bulk_import 'Risk Register'", svc);
  EXPECT_EQ(denied.exit_code, 1);
  Json deny = Json::parse(denied.out, nullptr, false);
  EXPECT_EQ(deny["reason"], "module_missing") << denied.out << denied.err;
  EXPECT_EQ(deny["module"], "IMPORT");
  denied = cli("authorize update_record 'Risk Register' --step Review", svc);
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(Json::parse(denied.out, nullptr, false)["reason"], "step_permission_missing");
  EXPECT_NE(denied.err.find("step_permission_missing"), std::string::npos) << denied.err;

  // Listing and revoking counterparts.
  Json roles = ok("roles list");
  EXPECT_EQ(roles["roles"].size(), 1u);
  Json role = ok("roles get 'Integration: Risk Sync'");
  EXPECT_EQ(role["members"], Json::array({uid}));
  ok("build-access grant risk-sync 'Risk Register'");
  ok("build-access revoke risk-sync 'Risk Register'");
  ok("roles revoke 'Integration: Risk Sync' risk-sync");
  denied = cli("authorize create_record 'Risk Register'", svc);
  EXPECT_EQ(denied.exit_code, 1);
  Json perms = ok("permissions risk-sync");
  EXPECT_TRUE(perms["roles"].empty());
  EXPECT_EQ(ok("applications list")["applications"].size(), 1u);
  EXPECT_EQ(ok("permission-sets list")["permission_sets"].size(), 1u);
}

}  // namespace
}  // namespace latchkey::testing
