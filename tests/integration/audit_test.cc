// The audit trail end to end (docs/audit.md): a real latchkeyd records token
// exchanges, admin changes and decisions; admins query, page and export
// them; non-admins get 403; no full secret ever appears; the dependents
// report names each integration.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

// A config file with route rules for /v1/auth-request and a long audit
// flush interval, removed at exit.
class AuditTest : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    config_path_ = "/tmp/latchkey-audit-test-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml";
    // An hour: nothing is flushed in the background during a test, so
    // what is coalesced does not depend on how fast the test runs (admin
    // reads flush first).
    std::ofstream(config_path_) << R"toml(
audit_flush_interval_ms = 3600000

[[route_rules]]
method = "GET"
path = "/status/*"
action = "authenticated"

[[route_rules]]
method = "POST"
path = "/apps/{application}/records"
action = "create_record"
)toml";
    return {"--config", config_path_};
  }
  void TearDown() override { std::remove(config_path_.c_str()); }

  std::vector<std::string> admin_headers() { return {bearer_header(admin_token())}; }

  Json audit_page(const std::string& query) {
    HttpResult r = get("/api/v1/audit" + query, admin_headers());
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r);
  }

  // Every event of `principal` (all pages).
  std::vector<Json> events_of(const std::string& principal) {
    Json page = audit_page("?principal=" + principal);
    return page["events"].get<std::vector<Json>>();
  }

  static const Json* find_action(const std::vector<Json>& events, const std::string& action,
                                 const std::string& decision = "allow") {
    for (const Json& e : events) {
      if (e["action"] == action && e["decision"] == decision) return &e;
    }
    return nullptr;
  }

  std::string config_path_;
};

// Test that a token exchange, an admin change and an auth_request decision
// each appear in the trail, attributed, with the masked credential, the
// client's User-Agent and X-Integration.
TEST_F(AuditTest, TokenExchangeAdminChangeAndDecisionAreAudited) {
  const Credentials svc = create_user_with_credentials("risk-sync", "service", true);
  HttpResult issued =
      post("/api/v1/account/token", {basic_header(svc.client_id, svc.client_secret),
                                     "User-Agent: risk-sync/2.1", "X-Integration: risk-sync"});
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string token = json_of(issued)["access_token"];
  HttpResult decision =
      get("/v1/auth-request", {bearer_header(token), "X-Original-Method: GET",
                               "X-Original-URI: /status/db", "X-Integration: risk-sync"});
  ASSERT_EQ(decision.status, 200) << decision.body;

  const auto events = events_of(svc.user_id);
  const Json* exchange = find_action(events, "account.token.issue");
  ASSERT_NE(exchange, nullptr) << Json(events).dump(2);
  EXPECT_EQ((*exchange)["principal_name"], "risk-sync");
  EXPECT_EQ((*exchange)["credential"], "client " + svc.client_id);
  EXPECT_EQ((*exchange)["user_agent"], "risk-sync/2.1");
  EXPECT_EQ((*exchange)["integration"], "risk-sync");
  EXPECT_EQ((*exchange)["client_ip"], "127.0.0.1");
  EXPECT_FALSE((*exchange)["at"].get<std::string>().empty());

  const Json* authorized = find_action(events, "authorize.authenticated");
  ASSERT_NE(authorized, nullptr) << Json(events).dump(2);
  EXPECT_EQ((*authorized)["resource"], "GET /status/db");
  EXPECT_EQ((*authorized)["credential"], "client " + svc.client_id);

  const auto admin_events = events_of(admin().user_id);
  const Json* created = find_action(admin_events, "user.create");
  ASSERT_NE(created, nullptr) << Json(admin_events).dump(2);
  EXPECT_EQ((*created)["resource"], "user_name/risk-sync");
  EXPECT_EQ((*created)["credential"], "client " + admin().client_id);
  EXPECT_NE(find_action(admin_events, "user.access_key.reset"), nullptr);

  // A disable is recorded before it is applied.
  ASSERT_EQ(patch_user(svc.user_id, R"({"disabled":true})").status, 200);
  EXPECT_NE(find_action(events_of(admin().user_id), "user.update.disable"), nullptr);
}

// Test that refused calls are recorded as deny with a reason: a wrong
// secret, a bad bearer token, and a route no rule allows.
TEST_F(AuditTest, DenialsAreAudited) {
  const Credentials svc = create_user_with_credentials("svc-deny", "service", true);
  const std::string token = issue_token(svc);
  EXPECT_EQ(issue(svc.client_id, "lk_sec_wrong").status, 401);
  EXPECT_EQ(me("lk_at_notatoken").status, 401);
  HttpResult refused = get("/v1/auth-request", {bearer_header(token), "X-Original-Method: POST",
                                                "X-Original-URI: /admin/drop"});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(json_of(refused)["reason"], "no_route_rule");

  Json denials = audit_page("?decision=deny");
  std::set<std::string> seen;
  for (const Json& e : denials["events"]) {
    EXPECT_EQ(e["decision"], "deny");
    seen.insert(e["action"].get<std::string>() + ":" + e["reason"].get<std::string>());
  }
  EXPECT_TRUE(seen.contains("account.token.issue:invalid_client")) << denials.dump(2);
  EXPECT_TRUE(seen.contains("account.me:malformed") || seen.contains("account.me:unknown"))
      << denials.dump(2);
  EXPECT_TRUE(seen.contains("authorize.no_route_rule:no_route_rule")) << denials.dump(2);
}

// Test that filters select and that pages of `limit` walk every event once,
// newest first, ending without a cursor.
TEST_F(AuditTest, FiltersAndPagination) {
  const Credentials svc = create_user_with_credentials("svc-pages", "service", true);
  const std::string token = issue_token(svc);
  // Distinct calls (identical ones would be one event with a count).
  auto distinct_me = [&](int i) {
    return get("/api/v1/account/me",
               {bearer_header(token), "X-Integration: pages-" + std::to_string(i)});
  };
  for (int i = 0; i < 5; ++i) ASSERT_EQ(distinct_me(i).status, 200);
  HttpResult advanced =
      post("/_test/clock/advance", {"Content-Type: application/json"}, R"({"seconds": 3600})");
  ASSERT_EQ(advanced.status, 200) << advanced.body;
  const std::string later = json_of(advanced).value("now", "");
  ASSERT_FALSE(later.empty());
  for (int i = 5; i < 7; ++i) ASSERT_EQ(distinct_me(i).status, 200);

  // 1 issue + 7 /me of the service account.
  std::vector<Json> all;
  std::string cursor;
  int pages = 0;
  for (;;) {
    Json page = audit_page("?principal=" + svc.user_id + "&limit=3" +
                           (cursor.empty() ? "" : "&cursor=" + cursor));
    ++pages;
    for (const Json& e : page["events"]) all.push_back(e);
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 8u);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i]["id"].get<std::int64_t>());
    if (i > 0) {
      EXPECT_GE(all[i - 1]["at"].get<std::string>(), all[i]["at"].get<std::string>());
    }
  }
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(all.back()["action"], "account.token.issue");

  {
    Json recent = audit_page("?principal=" + svc.user_id + "&from=" + later);
    EXPECT_EQ(recent["events"].size(), 2u) << recent.dump(2);
    Json before = audit_page("?principal=" + svc.user_id + "&to=" + later);
    EXPECT_EQ(before["events"].size(), 6u) << before.dump(2);
  }

  for (const char* bad :
       {"?decision=perhaps", "?from=yesterday", "?limit=0", "?limit=100000", "?cursor=forged",
        "?principle=usr_x", "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"}) {
    HttpResult r = get(std::string("/api/v1/audit") + bad, admin_headers());
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_EQ(json_of(r)["error"], "invalid_request") << bad;
  }
}

// Test the action (exact and prefix) and key filters on the query and the
// export: a key's calls found by the end of its masked form, the
// administrators' calls on it by its id, a client by its Client ID; bad
// values are a 400.
TEST_F(AuditTest, FiltersByActionAndKey) {
  const Credentials alice = create_user_with_credentials("alice-keys", "human", true);
  const std::string token = issue_token(alice);
  HttpResult created =
      send("POST", "/api/v1/keys", {bearer_header(token), "Content-Type: application/json"},
           R"({"name": "ci", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string key_id = json_of(created).value("id", "");
  const std::string masked = json_of(created).value("masked", "");
  const std::string last4 = masked.substr(masked.size() - 4);
  const std::string full_key = json_of(created).value("api_key", "");
  for (int i = 0; i < 3; ++i) {  // distinct calls (identical ones would be one event)
    HttpResult exchanged =
        send("POST", "/v2/auth/token/access",
             {"Content-Type: application/json", "X-Integration: keyed-" + std::to_string(i)},
             Json{{"api_key", full_key}}.dump());
    ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  }
  ASSERT_EQ(
      send("POST", "/api/v1/keys/" + key_id + "/deactivate", {bearer_header(token)}, "").status,
      200);

  auto actions = [&](const std::string& query) {
    std::vector<std::string> out;
    const Json page = audit_page(query);
    for (const Json& e : page["events"]) out.push_back(e["action"]);
    // Calls in the same millisecond may come in either order.
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  const std::string mine = "?principal=" + alice.user_id;
  // By the end of the masked key, in any case: the three calls made with it.
  std::string lower = last4;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(actions(mine + "&key=" + lower).size(), 3u);
  EXPECT_EQ(actions(mine + "&key=" + last4 + "&action=key.token.access"),
            (V{"key.token.access", "key.token.access", "key.token.access"}));
  EXPECT_TRUE(actions(mine + "&key=" + last4 + "&action=api_key.*").empty());
  // By the key id: the calls that name the key.
  EXPECT_EQ(actions(mine + "&key=" + key_id),
            (V{"api_key.create", "api_key.deactivate", "key.token.access", "key.token.access",
               "key.token.access"}));
  // Exact action, and a prefix.
  EXPECT_EQ(actions(mine + "&action=api_key.create"), (V{"api_key.create"}));
  EXPECT_EQ(actions(mine + "&action=api_key.*"), (V{"api_key.create", "api_key.deactivate"}));
  EXPECT_TRUE(actions(mine + "&action=api_key").empty());
  // By the Client ID: the calls made with alice's Client Secret and account
  // token (recorded by Client ID), not those made with the key.
  EXPECT_EQ(actions(mine + "&key=" + alice.client_id),
            (V{"account.token.issue", "api_key.create", "api_key.deactivate"}));

  // The export applies the same filters.
  HttpResult exported = get("/api/v1/audit/export?format=jsonl&principal=" + alice.user_id +
                                "&action=api_key.%2A&key=" + key_id,
                            admin_headers());
  ASSERT_EQ(exported.status, 200) << exported.body;
  std::istringstream lines(exported.body);
  V exported_actions;
  for (std::string line; std::getline(lines, line);) {
    exported_actions.push_back(Json::parse(line)["action"]);
  }
  std::sort(exported_actions.begin(), exported_actions.end());
  EXPECT_EQ(exported_actions, (V{"api_key.create", "api_key.deactivate"}));

  for (const char* bad : {"?action=", "?action=*", "?action=api%20key", "?key=", "?key=a%0Ab"}) {
    for (const char* path : {"/api/v1/audit", "/api/v1/audit/export"}) {
      HttpResult r = get(std::string(path) + bad, admin_headers());
      EXPECT_EQ(r.status, 400) << path << bad << ": " << r.body;
      EXPECT_EQ(json_of(r)["error"], "invalid_request") << bad;
    }
  }
}

// Test the exports: content types, CSV header and quoting, one line per
// event, the same events as the query API.
TEST_F(AuditTest, ExportsCsvAndJsonLines) {
  const Credentials svc = create_user_with_credentials("svc-export", "service", true);
  ASSERT_EQ(post("/api/v1/account/token",
                 {basic_header(svc.client_id, svc.client_secret), "User-Agent: agent, \"quoted\"",
                  "X-Integration: nightly,export"})
                .status,
            200);
  const std::size_t expected = events_of(svc.user_id).size();

  HttpResult jsonl =
      get("/api/v1/audit/export?format=jsonl&principal=" + svc.user_id, admin_headers());
  ASSERT_EQ(jsonl.status, 200) << jsonl.body;
  EXPECT_EQ(jsonl.header("content-type"), "application/x-ndjson");
  std::istringstream lines(jsonl.body);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) {
    Json e = Json::parse(line);
    EXPECT_EQ(e["principal_id"], svc.user_id);
    ++count;
  }
  EXPECT_EQ(count, expected);

  HttpResult csv = get("/api/v1/audit/export?format=csv&principal=" + svc.user_id, admin_headers());
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.header("content-type").rfind("text/csv", 0), 0u) << csv.header("content-type");
  EXPECT_EQ(csv.body.rfind("id,at,principal_id,principal_name,credential,action,", 0), 0u);
  EXPECT_NE(csv.body.find(",\"agent, \"\"quoted\"\"\",\"nightly,export\",1\r\n"), std::string::npos)
      << csv.body;
  std::size_t rows = 0;
  for (std::size_t at = 0; (at = csv.body.find("\r\n", at)) != std::string::npos; at += 2) ++rows;
  EXPECT_EQ(rows, expected + 1);

  HttpResult bad = get("/api/v1/audit/export?format=xml", admin_headers());
  EXPECT_EQ(bad.status, 400);
}

// Test that identical calls made together are one event with a count, that
// a call differing in one header is an event of its own, and that the
// dependents report counts calls, not events.
TEST_F(AuditTest, IdenticalCallsAreOneEventWithACount) {
  const Credentials svc = create_user_with_credentials("svc-poller", "service", true);
  const std::string token = issue_token(svc);
  const std::vector<std::string> poller = {bearer_header(token), "User-Agent: poller/1.0",
                                           "X-Integration: poller"};
  for (int i = 0; i < 6; ++i) ASSERT_EQ(get("/api/v1/account/me", poller).status, 200);
  ASSERT_EQ(get("/api/v1/account/me",
                {bearer_header(token), "User-Agent: poller/1.0", "X-Integration: other"})
                .status,
            200);

  std::vector<Json> polls;
  for (const Json& e : events_of(svc.user_id)) {
    if (e["action"] == "account.me") polls.push_back(e);
  }
  ASSERT_EQ(polls.size(), 2u) << Json(polls).dump(2);
  std::map<std::string, std::uint64_t> count_by_integration;
  for (const Json& e : polls) count_by_integration[e["integration"]] = e["count"];
  EXPECT_EQ(count_by_integration["poller"], 6u);
  EXPECT_EQ(count_by_integration["other"], 1u);

  HttpResult csv = get("/api/v1/audit/export?format=csv&principal=" + svc.user_id, admin_headers());
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find(",poller/1.0,poller,6\r\n"), std::string::npos) << csv.body;

  Json report =
      json_of(get("/api/v1/users/" + svc.user_id + "/dependents?days=1", admin_headers()));
  std::uint64_t calls = 0;
  for (const Json& c : report["clients"]) {
    if (c["integration"] == "poller") calls = c["calls"];
  }
  EXPECT_EQ(calls, 6u) << report.dump(2);
}

// Test that no full secret (client secrets, access tokens, a secret sent by
// mistake in a header) appears in any query answer or export.
TEST_F(AuditTest, NoFullSecretInTheTrail) {
  const Credentials svc = create_user_with_credentials("svc-secret", "service", true);
  const std::string token = issue_token(svc);
  ASSERT_EQ(me(token).status, 200);
  // Mistakes a careless integration makes: the secret in a header.
  ASSERT_EQ(get("/api/v1/account/me", {bearer_header(token), "X-Integration: " + svc.client_secret,
                                       "User-Agent: bot " + token})
                .status,
            200);
  ASSERT_EQ(send("DELETE", "/api/v1/account/token", {bearer_header(token)}).status, 204);
  EXPECT_EQ(issue(svc.client_id, svc.client_secret + "x").status, 401);

  const std::vector<std::string> secrets = {svc.client_secret, token, admin().client_secret,
                                            admin_token()};
  for (const std::string& path :
       {std::string("/api/v1/audit?limit=1000"), std::string("/api/v1/audit/export?format=csv"),
        std::string("/api/v1/audit/export?format=jsonl")}) {
    HttpResult r = get(path, admin_headers());
    ASSERT_EQ(r.status, 200) << r.body;
    for (const std::string& secret : secrets) {
      EXPECT_EQ(r.body.find(secret), std::string::npos) << path << " leaks a secret";
    }
    EXPECT_NE(r.body.find("token ••••" + token.substr(token.size() - 4)), std::string::npos)
        << path;
  }
  const auto events = events_of(svc.user_id);
  EXPECT_NE(find_action(events, "account.token.revoke"), nullptr);
}

// Test that every audit endpoint answers 403 to a non-admin (and 401
// without a token), and that the refusal itself is audited.
TEST_F(AuditTest, NonAdminGets403) {
  const Credentials svc = create_user_with_credentials("svc-nosy", "service", true);
  const std::string token = issue_token(svc);
  for (const std::string& path :
       {std::string("/api/v1/audit"), std::string("/api/v1/audit/export?format=csv"),
        "/api/v1/users/" + svc.user_id + "/dependents",
        std::string("/api/v1/reports/least-privilege")}) {
    HttpResult r = get(path, {bearer_header(token)});
    EXPECT_EQ(r.status, 403) << path << ": " << r.body;
    EXPECT_EQ(json_of(r)["error"], "forbidden") << path;
    EXPECT_EQ(get(path).status, 401) << path;
  }
  EXPECT_NE(find_action(events_of(svc.user_id), "audit.query", "deny"), nullptr);
}

// Test seed 001's "find out who depends on the account before rotating its
// Client Secret": two integrations sharing one service account show up as
// two clients with their X-Integration names, counts and times.
TEST_F(AuditTest, DependentsReportListsEachIntegration) {
  const Credentials svc = create_user_with_credentials("shared-svc", "service", true);
  const std::string token = issue_token(svc, "broker/1.0");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(get("/api/v1/account/me",
                  {bearer_header(token), "User-Agent: risk-sync/2.1", "X-Integration: risk-sync"})
                  .status,
              200);
  }
  ASSERT_EQ(get("/api/v1/account/me", {bearer_header(token), "User-Agent: exporter/0.9",
                                       "X-Integration: warehouse-export"})
                .status,
            200);

  HttpResult r = get("/api/v1/users/" + svc.user_id + "/dependents?days=7", admin_headers());
  ASSERT_EQ(r.status, 200) << r.body;
  Json report = json_of(r);
  EXPECT_EQ(report["user_id"], svc.user_id);
  EXPECT_EQ(report["days"], 7);
  std::map<std::string, Json> by_integration;
  for (const Json& c : report["clients"]) by_integration[c["integration"]] = c;
  ASSERT_TRUE(by_integration.contains("risk-sync")) << report.dump(2);
  ASSERT_TRUE(by_integration.contains("warehouse-export")) << report.dump(2);
  EXPECT_EQ(by_integration["risk-sync"]["calls"], 3);
  EXPECT_EQ(by_integration["risk-sync"]["user_agent"], "risk-sync/2.1");
  EXPECT_EQ(by_integration["risk-sync"]["client_ip"], "127.0.0.1");
  EXPECT_EQ(by_integration["warehouse-export"]["calls"], 1);
  EXPECT_EQ(by_integration["warehouse-export"]["credentials"],
            Json::array({"client " + svc.client_id}));
  EXPECT_FALSE(by_integration["risk-sync"]["first_seen"].get<std::string>().empty());

  // Out of the window once time moves on.
  server_->advance_clock_seconds(8 * 24 * 3600);
  Json later = json_of(get("/api/v1/users/" + svc.user_id + "/dependents?days=7", admin_headers()));
  EXPECT_TRUE(later["clients"].empty()) << later.dump(2);

  EXPECT_EQ(get("/api/v1/users/" + svc.user_id + "/dependents?days=0", admin_headers()).status,
            400);
  EXPECT_EQ(get("/api/v1/users/usr_nobody/dependents", admin_headers()).status, 404);
}

// Test the least-privilege report: every principal with modules granted vs
// used; ADMIN counts as used once the admin made admin calls.
TEST_F(AuditTest, LeastPrivilegeReport) {
  const Credentials svc = create_user_with_credentials("svc-lp", "service", true);
  ASSERT_EQ(me(issue_token(svc)).status, 200);
  HttpResult r = get("/api/v1/reports/least-privilege?days=30", admin_headers());
  ASSERT_EQ(r.status, 200) << r.body;
  Json report = json_of(r);
  std::map<std::string, Json> by_id;
  for (const Json& p : report["principals"]) by_id[p["user_id"]] = p;
  ASSERT_TRUE(by_id.contains(admin().user_id)) << report.dump(2);
  ASSERT_TRUE(by_id.contains(svc.user_id)) << report.dump(2);
  const Json& admin_row = by_id[admin().user_id];
  EXPECT_NE(
      std::find(admin_row["modules_granted"].begin(), admin_row["modules_granted"].end(), "ADMIN"),
      admin_row["modules_granted"].end());
  EXPECT_NE(std::find(admin_row["modules_used"].begin(), admin_row["modules_used"].end(), "ADMIN"),
            admin_row["modules_used"].end())
      << admin_row.dump(2);
  const Json& svc_row = by_id[svc.user_id];
  EXPECT_TRUE(svc_row["modules_granted"].empty());
  bool saw_me = false;
  for (const Json& a : svc_row["actions_used"]) saw_me |= a["action"] == "account.me";
  EXPECT_TRUE(saw_me) << svc_row.dump(2);
  EXPECT_EQ(get("/api/v1/reports/least-privilege?days=-1", admin_headers()).status, 400);
}

// Test the least-privilege report against real grants: a service account
// holding a used role, an unused role and ADMIN through a role is flagged,
// with modules, roles and entitlements marked used or not from its
// authorization decisions.
TEST_F(AuditTest, LeastPrivilegeReportWithGrants) {
  const std::vector<std::string> admin_json = {bearer_header(admin_token()),
                                               "Content-Type: application/json"};
  const Credentials svc = create_user_with_credentials("svc-grants", "service", true);
  HttpResult app = post("/api/v1/applications", admin_json,
                        R"({"name":"records-app","steps":[{"name":"intake","origin":true}]})");
  ASSERT_EQ(app.status, 201) << app.body;
  const std::string app_id = json_of(app)["id"];
  const std::string step_id = json_of(app)["origin_step"];
  HttpResult set = post("/api/v1/permission-sets", admin_json,
                        Json{{"name", "intake-edit"}, {"steps", {{step_id, "edit"}}}}.dump());
  ASSERT_EQ(set.status, 201) << set.body;
  auto make_role = [&](const std::string& name, const std::string& module, bool with_set) {
    Json body = {{"name", name}, {"modules", {module}}};
    if (with_set) body["permission_sets"] = {json_of(set)["id"]};
    HttpResult role = post("/api/v1/roles", admin_json, body.dump());
    EXPECT_EQ(role.status, 201) << role.body;
    const std::string id = json_of(role)["id"];
    EXPECT_EQ(send("PUT", "/api/v1/users/" + svc.user_id + "/roles/" + id, admin_json).status, 200);
    return id;
  };
  const std::string used_role = make_role("Integration: Risk Sync", "RECORDS", true);
  const std::string unused_role = make_role("Unrelated", "IMPORT", false);
  const std::string admin_role = make_role("Dev shortcut", "ADMIN", false);
  ASSERT_EQ(send("PUT", "/api/v1/users/" + svc.user_id + "/entitlements/" + app_id, admin_json,
                 R"({"access":"edit"})")
                .status,
            200);

  const std::string token = issue_token(svc);
  HttpResult allowed = get("/v1/auth-request", {bearer_header(token), "X-Original-Method: POST",
                                                "X-Original-URI: /apps/" + app_id + "/records"});
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(allowed.header("x-latchkey-user-id"), svc.user_id);

  HttpResult r = get("/api/v1/reports/least-privilege", {bearer_header(admin_token())});
  ASSERT_EQ(r.status, 200) << r.body;
  const Json report = json_of(r);
  EXPECT_EQ(report["permissions_available"], true);
  Json row;
  for (const Json& p : report["principals"]) {
    if (p["user_id"] == svc.user_id) row = p;
  }
  ASSERT_FALSE(row.is_null()) << report.dump(2);
  EXPECT_EQ(row["modules_granted"], Json::array({"ADMIN", "IMPORT", "RECORDS"})) << row.dump(2);
  EXPECT_EQ(row["modules_used"], Json::array({"RECORDS"})) << row.dump(2);
  EXPECT_EQ(row["modules_unused"], Json::array({"ADMIN", "IMPORT"})) << row.dump(2);
  std::set<std::string> never_used = row["roles_never_used"].get<std::set<std::string>>();
  EXPECT_EQ(never_used, (std::set<std::string>{unused_role, admin_role})) << row.dump(2);
  ASSERT_EQ(row["applications"].size(), 1u);
  EXPECT_EQ(row["applications"][0]["application_id"], app_id);
  EXPECT_EQ(row["applications"][0]["used"], true);
  const auto flags = row["flags"].get<std::set<std::string>>();
  EXPECT_TRUE(flags.contains("admin_on_service_account")) << row.dump(2);
  EXPECT_TRUE(flags.contains("unused_roles")) << row.dump(2);
  EXPECT_FALSE(flags.contains("unused_entitlements")) << row.dump(2);
  (void)used_role;
}

// Runs the latchkey CLI as the admin; returns stdout (exit code in `code`).
std::string run_cli(const LatchkeydProcess& server, const std::string& args, int& code) {
  const auto& a = server.admin();
  const std::string cmd = "env -i HOME=" + server.data_dir() + " LATCHKEY_URL=" + server.url() +
                          " LATCHKEY_CLIENT_ID=" + a.client_id +
                          " LATCHKEY_CLIENT_SECRET=" + a.client_secret +
                          " LATCHKEY_TOKEN_CACHE=" + server.data_dir() + "/cli-cache.json " +
                          LATCHKEY_CLI_PATH + " " + args + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// Test the CLI verbs: `audit list` with filters, `audit export --format
// csv`, and `users dependents`.
TEST_F(AuditTest, CliListExportAndDependents) {
  const Credentials svc = create_user_with_credentials("svc-cli", "service", true);
  const std::string token = issue_token(svc);
  ASSERT_EQ(get("/api/v1/account/me", {bearer_header(token), "X-Integration: cli-check"}).status,
            200);
  int code = -1;
  const std::string listed =
      run_cli(*server_, "audit list --principal " + svc.user_id + " --since 1h --limit 5", code);
  ASSERT_EQ(code, 0) << listed;
  Json page = Json::parse(listed);
  ASSERT_FALSE(page["events"].empty()) << listed;
  for (const Json& e : page["events"]) EXPECT_EQ(e["principal_id"], svc.user_id);

  // --action (a prefix) and --key (the end of the Client ID).
  const std::string filtered =
      run_cli(*server_,
              "audit list --principal " + svc.user_id + " --action 'account.m*' --key " +
                  svc.client_id.substr(svc.client_id.size() - 6),
              code);
  ASSERT_EQ(code, 0) << filtered;
  Json only_me = Json::parse(filtered);
  ASSERT_EQ(only_me["events"].size(), 1u) << filtered;
  EXPECT_EQ(only_me["events"][0]["action"], "account.me");

  const std::string csv =
      run_cli(*server_, "audit export --format csv --principal " + svc.user_id, code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(csv.rfind("id,at,principal_id,", 0), 0u) << csv;
  EXPECT_NE(csv.find("cli-check"), std::string::npos) << csv;

  const std::string dependents =
      run_cli(*server_, "users dependents " + svc.user_id + " --days 3", code);
  ASSERT_EQ(code, 0) << dependents;
  Json report = Json::parse(dependents);
  EXPECT_EQ(report["days"], 3);
  bool found = false;
  for (const Json& c : report["clients"]) found |= c["integration"] == "cli-check";
  EXPECT_TRUE(found) << dependents;
}

// Test audit completeness under load (issue 10): N concurrent requests over
// several connections leave exactly N audited calls (the counts of the
// coalesced rows add up), and none is lost at a graceful shutdown: the
// flush interval is an hour, so every record is still buffered in memory
// when the server is told to stop.
TEST_F(AuditTest, EveryConcurrentCallIsAuditedNoneLostAtShutdown) {
  const Credentials svc = create_user_with_credentials("audit-load", "service", true);
  const std::string token = issue_token(svc);
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client;
      for (int i = 0; i < kEach; ++i) {
        HttpResult r = client.send(
            "GET", server_->url() + "/api/v1/account/me",
            {bearer_header(token), "X-Integration: worker-" + std::to_string(t % 2)}, "");
        if (r.status == 200) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(ok.load(), kThreads * kEach);
  ASSERT_EQ(server_->stop_gracefully(), 0);
  server_->restart();

  Json page = audit_page("?principal=" + svc.user_id + "&limit=1000");
  std::int64_t calls = 0;
  std::size_t rows = 0;
  for (const Json& e : page["events"]) {
    if (e["action"] != "account.me") continue;
    ++rows;
    calls += e.value("count", 1);
  }
  EXPECT_EQ(calls, kThreads * kEach) << page.dump();
  EXPECT_LT(rows, static_cast<std::size_t>(kThreads * kEach));  // coalesced
}

}  // namespace
}  // namespace latchkey::testing
