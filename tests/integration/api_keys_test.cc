// API keys against a real latchkeyd (docs/api-keys.md): seed 002's
// separation-of-duties table cell by cell, the one-year validity cap
// (seed 004), the one-time reveal (the full key appears in no other response
// and not in the server's output), and the admin report as JSON and CSV.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

class ApiKeysTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    alice_ = create_user_with_credentials("alice", "human", true);
    bob_ = create_user_with_credentials("bob", "human", true);
    alice_token_ = issue_token(alice_);
    bob_token_ = issue_token(bob_);
  }

  // Every response of a test goes through here and is kept for the leak
  // check, headers included.
  HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                  const std::string& body = "", std::vector<std::string> headers = {}) {
    if (!token.empty()) headers.push_back(bearer_header(token));
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    HttpResult r = send(method, path, headers, body);
    std::string seen = r.body;
    for (const auto& [name, value] : r.headers) seen += "\n" + name + ": " + value;
    responses_.push_back(seen);
    return r;
  }

  // Creates a key as the holder of `token`; returns the creation response
  // (kept apart: the only place the full key may appear).
  Json create_key(const std::string& token, Json body, int expect = 201) {
    if (!body.contains("expires_in_days")) body["expires_in_days"] = 30;
    HttpResult r = send("POST", "/api/v1/keys",
                        {bearer_header(token), "Content-Type: application/json"}, body.dump());
    EXPECT_EQ(r.status, expect) << r.body;
    Json j = json_of(r);
    if (r.status == 201) {
      full_keys_.push_back(j.value("api_key", ""));
    } else {
      responses_.push_back(r.body);
    }
    return j;
  }

  Json report_row(const Json& report, const std::string& key_id) {
    for (const Json& row : report["keys"]) {
      if (row.value("key_id", "") == key_id) return row;
    }
    ADD_FAILURE() << "no report row for " << key_id << " in " << report.dump();
    return Json::object();
  }

  // The leak check: no full key in any recorded response or server output.
  void expect_no_full_key_anywhere() {
    ASSERT_FALSE(full_keys_.empty());
    const std::string output = server_->output();
    for (const std::string& key : full_keys_) {
      ASSERT_TRUE(key.starts_with("lk_key_")) << key;
      for (const std::string& seen : responses_) {
        EXPECT_EQ(seen.find(key), std::string::npos) << "full key leaked in: " << seen;
      }
      EXPECT_EQ(output.find(key), std::string::npos) << "full key in the server output";
    }
  }

  Credentials alice_, bob_;
  std::string alice_token_, bob_token_;
  std::vector<std::string> responses_;
  std::vector<std::string> full_keys_;
};

// Test seed 002's table, cell by cell: user creates own (201); admin creates
// for another (403); user deactivates own (200); user deactivates another's
// (refused, 404); admin deactivates any (200).
TEST_F(ApiKeysTest, SeparationOfDutiesTable) {
  // User: create new key for own profile -> allowed.
  Json own = create_key(alice_token_, {{"name", "alice deploy"}});
  EXPECT_EQ(own.value("status", ""), "active");
  EXPECT_EQ(own.value("user_id", ""), alice_.user_id);
  EXPECT_EQ(own.value("scope", ""), "write");
  Json own_explicit = create_key(alice_token_, {{"name", "mine"}, {"user_id", alice_.user_id}});
  EXPECT_EQ(own_explicit.value("user_id", ""), alice_.user_id);

  // Administrator: create new key for another user -> not allowed.
  Json for_other =
      create_key(admin_token(), {{"name", "for alice"}, {"user_id", alice_.user_id}}, 403);
  EXPECT_EQ(for_other.value("error", ""), "forbidden");
  // ... and no key was created for alice.
  HttpResult listed = call("GET", "/api/v1/keys", alice_token_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(json_of(listed)["keys"].size(), 2u);

  // User: deactivate someone else's key -> refused (404: existence not leaked).
  const std::string alice_key = own.value("id", "");
  HttpResult by_bob = call("POST", "/api/v1/keys/" + alice_key + "/deactivate", bob_token_);
  EXPECT_EQ(by_bob.status, 404) << by_bob.body;
  HttpResult still = call("GET", "/api/v1/keys", alice_token_);
  EXPECT_EQ(json_of(still)["keys"][0].value("status", ""), "active");

  // User: deactivate own key -> allowed, idempotent.
  HttpResult by_owner = call("POST", "/api/v1/keys/" + alice_key + "/deactivate", alice_token_);
  EXPECT_EQ(by_owner.status, 200) << by_owner.body;
  EXPECT_EQ(json_of(by_owner).value("status", ""), "inactive");
  HttpResult again = call("POST", "/api/v1/keys/" + alice_key + "/deactivate", alice_token_);
  EXPECT_EQ(again.status, 200);

  // Administrator: deactivate any user's key -> allowed.
  Json bobs = create_key(bob_token_, {{"name", "bob ci"}});
  HttpResult by_admin =
      call("POST", "/api/v1/keys/" + bobs.value("id", "") + "/deactivate", admin_token());
  EXPECT_EQ(by_admin.status, 200) << by_admin.body;
  EXPECT_EQ(json_of(by_admin).value("status", ""), "inactive");

  // A deactivated key no longer exchanges (seed 004 endpoint).
  HttpResult exchange =
      call("POST", "/v2/auth/token/access", "", Json{{"api_key", full_keys_[0]}}.dump());
  EXPECT_EQ(exchange.status, 401) << exchange.body;
  expect_no_full_key_anywhere();
}

// Test that validity is required and at most one year, with a clear 400.
TEST_F(ApiKeysTest, ValidityOverOneYearIsRefused) {
  Json too_long = create_key(alice_token_, {{"name", "forever"}, {"expires_in_days", 366}}, 400);
  EXPECT_EQ(too_long.value("error", ""), "invalid_request");
  EXPECT_EQ(too_long.value("reason", ""), "validity_too_long");
  EXPECT_NE(too_long.value("error_description", "").find("one year"), std::string::npos);
  HttpResult missing = call("POST", "/api/v1/keys", alice_token_, R"({"name":"x"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(json_of(missing).value("error_description", "").find("expires_in_days"),
            std::string::npos);
  HttpResult bad_scope = call("POST", "/api/v1/keys", alice_token_,
                              R"({"name":"x","expires_in_days":5,"scope":"admin"})");
  EXPECT_EQ(bad_scope.status, 400);
  Json year = create_key(alice_token_, {{"name", "a year"}, {"expires_in_days", 365}});
  EXPECT_EQ(year.value("status", ""), "active");
  HttpResult unauthenticated = call("POST", "/api/v1/keys", "", R"({"name":"x"})");
  EXPECT_EQ(unauthenticated.status, 401);
}

// Test the one-time reveal: the creation response alone has the full key;
// listings, the report (JSON, CSV), deactivation, exchanges, errors, the
// audit trail and the server's output show at most the masked form.
TEST_F(ApiKeysTest, FullKeyAppearsOnlyAtCreation) {
  Json created = create_key(alice_token_, {{"name", "reveal"}, {"scope", "read"}});
  const std::string full = created.value("api_key", "");
  ASSERT_TRUE(full.starts_with("lk_key_"));
  EXPECT_EQ(created.value("masked", ""), "••••" + full.substr(full.size() - 4));
  EXPECT_EQ(created.value("scope", ""), "read");

  HttpResult listed = call("GET", "/api/v1/keys", alice_token_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_FALSE(json_of(listed)["keys"][0].contains("api_key"));
  EXPECT_EQ(json_of(listed)["keys"][0].value("masked", ""), created.value("masked", ""));
  call("GET", "/api/v1/keys?all=true", admin_token());
  call("GET", "/api/v1/keys?user_id=" + alice_.user_id, admin_token());
  call("GET", "/api/v1/reports/api-keys", admin_token());
  call("GET", "/api/v1/reports/api-keys?format=csv", admin_token());
  call("POST", "/auth/login", "", Json{{"api_key", full}}.dump());
  call("POST", "/v2/auth/token/access", "", Json{{"api_key", full}}.dump());
  // Errors that echo input must not echo the key either.
  call("POST", "/api/v1/keys", alice_token_, Json{{"name", full}, {"expires_in_days", 5}}.dump());
  call("GET", "/api/v1/keys/" + full + "/sessions", alice_token_);
  call("POST", "/api/v1/keys/" + full + "/deactivate", alice_token_);
  call("GET", "/api/v1/account/me", full);
  call("POST", "/api/v1/keys/" + created.value("id", "") + "/deactivate", alice_token_);
  call("POST", "/v2/auth/token/access", "", Json{{"api_key", full}}.dump());
  call("GET", "/api/v1/audit", admin_token());
  ASSERT_EQ(server_->stop_gracefully(), 0);  // flushes every log line
  expect_no_full_key_anywhere();
}

// Test the admin report: every key with user id, masked key, status, age,
// last use and expiring_soon; JSON by default, CSV on request; 403 for
// non-admins.
TEST_F(ApiKeysTest, AdminReportJsonAndCsv) {
  Json used = create_key(alice_token_, {{"name", "used"}, {"expires_in_days", 100}});
  Json soon = create_key(bob_token_, {{"name", "soon"}, {"expires_in_days", 10}});
  Json off = create_key(bob_token_, {{"name", "off"}, {"expires_in_days", 100}});
  call("POST", "/api/v1/keys/" + off.value("id", "") + "/deactivate", bob_token_);
  server_->advance_clock_seconds(3 * 24 * 3600);
  HttpResult exchanged = call("POST", "/v2/auth/token/access", "",
                              Json{{"api_key", used.value("api_key", "")}}.dump());

  for (const std::string& token : {alice_token_, bob_token_}) {
    EXPECT_EQ(call("GET", "/api/v1/reports/api-keys", token).status, 403);
    EXPECT_EQ(call("GET", "/api/v1/reports/api-keys?format=csv", token).status, 403);
  }

  HttpResult report = call("GET", "/api/v1/reports/api-keys", admin_token());
  ASSERT_EQ(report.status, 200) << report.body;
  const Json j = json_of(report);
  const Json u = report_row(j, used.value("id", ""));
  EXPECT_EQ(u.value("user_id", ""), alice_.user_id);
  EXPECT_EQ(u.value("masked_key", ""), used.value("masked", ""));
  EXPECT_EQ(u.value("status", ""), "active");
  EXPECT_EQ(u.value("age_days", -1), 3);
  EXPECT_FALSE(u.value("expiring_soon", true));
  ASSERT_TRUE(u.contains("last_used_at"));
  if (exchanged.status == 200) {
    EXPECT_TRUE(u["last_used_at"].is_string()) << "an exchange must count as a use";
  }
  const Json s = report_row(j, soon.value("id", ""));
  EXPECT_EQ(s.value("user_id", ""), bob_.user_id);
  EXPECT_TRUE(s.value("expiring_soon", false));
  EXPECT_TRUE(s["last_used_at"].is_null());
  EXPECT_EQ(report_row(j, off.value("id", "")).value("status", ""), "inactive");

  for (const std::vector<std::string>& variant :
       {std::vector<std::string>{"?format=csv"},
        std::vector<std::string>{"", "Accept: text/csv"}}) {
    std::vector<std::string> headers;
    if (variant.size() > 1) headers.push_back(variant[1]);
    HttpResult csv =
        call("GET", "/api/v1/reports/api-keys" + variant[0], admin_token(), "", headers);
    ASSERT_EQ(csv.status, 200);
    EXPECT_NE(csv.header("content-type").find("text/csv"), std::string::npos);
    EXPECT_TRUE(csv.body.starts_with("user_id,key_id,name,masked_key,status,"));
    EXPECT_NE(csv.body.find(alice_.user_id + "," + used.value("id", "") + ",used," +
                            used.value("masked", "") + ",active,"),
              std::string::npos)
        << csv.body;
    EXPECT_NE(csv.body.find(",inactive,"), std::string::npos);
  }

  // Past its expiry a key reads expired.
  server_->advance_clock_seconds(8 * 24 * 3600);
  HttpResult later = call("GET", "/api/v1/reports/api-keys", admin_token());
  EXPECT_EQ(report_row(json_of(later), soon.value("id", "")).value("status", ""), "expired");
  expect_no_full_key_anywhere();
}

// Test listing rules: own keys by default; another user's or all for admins
// only.
TEST_F(ApiKeysTest, ListingIsOwnUnlessAdmin) {
  create_key(alice_token_, {{"name", "a"}});
  create_key(bob_token_, {{"name", "b"}});
  EXPECT_EQ(json_of(call("GET", "/api/v1/keys", alice_token_))["keys"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/keys?user_id=" + bob_.user_id, alice_token_).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/keys?all=true", alice_token_).status, 403);
  EXPECT_EQ(
      json_of(call("GET", "/api/v1/keys?user_id=" + bob_.user_id, admin_token()))["keys"].size(),
      1u);
  EXPECT_EQ(json_of(call("GET", "/api/v1/keys?all=true", admin_token()))["keys"].size(), 2u);
  expect_no_full_key_anywhere();
}

// Test that a token obtained from an API key cannot create keys (no
// escalation), when the seed 004 exchange is available.
TEST_F(ApiKeysTest, KeyDerivedTokenCannotCreateKeys) {
  Json key = create_key(alice_token_, {{"name", "exchanger"}});
  HttpResult exchanged =
      call("POST", "/v2/auth/token/access", "", Json{{"api_key", key.value("api_key", "")}}.dump());
  if (exchanged.status != 200) GTEST_SKIP() << "exchange unavailable: " << exchanged.body;
  const std::string jwt = json_of(exchanged).value("access_token", "");
  HttpResult refused = call("POST", "/api/v1/keys", jwt, R"({"name":"child","expires_in_days":5})");
  EXPECT_EQ(refused.status, 403) << refused.body;
  expect_no_full_key_anywhere();
}

}  // namespace
}  // namespace latchkey::testing
