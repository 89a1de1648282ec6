// Issue 14 items 3 and 7 through HTTP (docs/secret-age.md,
// docs/service-accounts.md): the age of secrets and keys and rotation_due
// at the threshold, the Latchkey-Secret-Rotation-Due header on issuance,
// the hard maximum, the rotation report, and expired service accounts. The
// server's test clock moves with POST /_test/clock/advance (seconds), which
// also runs the lifecycle scan.
#include <gtest/gtest.h>

#include <ctime>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";
constexpr long long kDay = 24 * 3600;

class SecretAge : public ServerTest {
 protected:
  // A service account with credentials, an account token and an API key
  // (valid a year) of its own.
  void make_account(const std::string& extra_fields = "") {
    HttpResult created =
        post("/api/v1/users", {bearer_header(admin_token()), kJson},
             R"({"name": "etl", "type": "service", "api_access": true)" + extra_fields + "}");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = json_of(created)["id"].get<std::string>();
    HttpResult reset = post("/api/v1/users/" + id + "/access-key", {bearer_header(admin_token())});
    ASSERT_EQ(reset.status, 200) << reset.body;
    account_ = {id, json_of(reset)["client_id"].get<std::string>(),
                json_of(reset)["client_secret"].get<std::string>()};
    account_token_ = issue_token(account_);
    HttpResult key = post("/api/v1/keys", {bearer_header(account_token_), kJson},
                          R"({"name": "ci", "scope": "write", "expires_in_days": 365})");
    ASSERT_EQ(key.status, 201) << key.body;
    api_key_ = json_of(key)["api_key"].get<std::string>();
    key_id_ = json_of(key)["id"].get<std::string>();
  }

  Json user_json() {
    HttpResult r = get("/api/v1/users/" + account_.user_id, {bearer_header(admin_token())});
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r);
  }
  Json key_json() {
    HttpResult r = get("/api/v1/keys", {bearer_header(account_token_)});
    EXPECT_EQ(r.status, 200) << r.body;
    const Json listed = json_of(r);  // held: a range-for over a temporary's member dangles
    for (const Json& k : listed["keys"]) {
      if (k["id"] == key_id_) return k;
    }
    ADD_FAILURE() << "key not listed: " << r.body;
    return Json::object();
  }
  // A new account token (seed 000: it supersedes the one held).
  HttpResult issue_again() {
    HttpResult r = issue(account_.client_id, account_.client_secret);
    if (r.status == 200) account_token_ = json_of(r)["access_token"].get<std::string>();
    return r;
  }
  HttpResult exchange() {
    return post("/v2/auth/token/access", {kJson}, R"({"api_key": ")" + api_key_ + "\"}");
  }

  Credentials account_;
  std::string account_token_;
  std::string api_key_;
  std::string key_id_;
};

// Test that a secret and a key report their age, that rotation_due turns
// true when the age reaches secret_max_age_days (90) and not a minute
// before, and that token issuance carries Latchkey-Secret-Rotation-Due
// exactly when due: account token, OAuth client credentials, both key
// exchanges. The report lists both, in JSON and CSV.
TEST_F(SecretAge, RotationDueAtTheThresholdThroughHttp) {
  make_account();
  Json user = user_json();
  ASSERT_TRUE(user["secret"].is_object()) << user.dump();
  EXPECT_EQ(user["secret"]["age_days"], 0);
  EXPECT_EQ(user["secret"]["rotation_due"], false);
  EXPECT_TRUE(user["secret"]["rotation_due_since"].is_null());
  EXPECT_EQ(key_json()["age_days"], 0);
  EXPECT_EQ(issue_again().header("latchkey-secret-rotation-due"), "");

  server_->advance_clock_seconds(90 * kDay - 60);
  user = user_json();
  EXPECT_EQ(user["secret"]["age_days"], 89);
  EXPECT_EQ(user["secret"]["rotation_due"], false);
  EXPECT_EQ(key_json()["rotation_due"], false);
  HttpResult early = issue_again();
  ASSERT_EQ(early.status, 200) << early.body;
  EXPECT_EQ(early.header("latchkey-secret-rotation-due"), "");
  EXPECT_EQ(exchange().header("latchkey-secret-rotation-due"), "");

  server_->advance_clock_seconds(120);
  user = user_json();
  EXPECT_EQ(user["secret"]["age_days"], 90);
  EXPECT_EQ(user["secret"]["rotation_due"], true);
  const std::string due_since = user["secret"]["rotation_due_since"].get<std::string>();
  HttpResult due = issue_again();
  ASSERT_EQ(due.status, 200) << due.body;
  EXPECT_EQ(due.header("latchkey-secret-rotation-due"), due_since);
  const Json me_due = json_of(me(account_token_));
  EXPECT_EQ(me_due["secret"]["rotation_due"], true) << me_due.dump();
  EXPECT_EQ(me_due["secret"]["rotation_due_since"], due_since);
  const Json key = key_json();
  EXPECT_EQ(key["rotation_due"], true);
  EXPECT_EQ(key["age_days"], 90);
  HttpResult access = exchange();
  ASSERT_EQ(access.status, 200) << access.body;
  EXPECT_EQ(access.header("latchkey-secret-rotation-due"), key["rotation_due_since"]);
  HttpResult login =
      post("/auth/login", {kJson}, R"({"api_key": ")" + api_key_ + R"(", "session_id": "s1"})");
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.header("latchkey-secret-rotation-due"), key["rotation_due_since"]);
  HttpResult oauth = post("/oauth/token",
                          {basic_header(account_.client_id, account_.client_secret),
                           "Content-Type: application/x-www-form-urlencoded"},
                          "grant_type=client_credentials");
  ASSERT_EQ(oauth.status, 200) << oauth.body;
  EXPECT_EQ(oauth.header("latchkey-secret-rotation-due"), due_since);

  // The reports: the rotation report lists the secret and the key; the key
  // report has the new fields.
  HttpResult report = get("/api/v1/reports/rotation", {bearer_header(admin_token())});
  ASSERT_EQ(report.status, 200) << report.body;
  bool secret_listed = false;
  bool key_listed = false;
  const Json items = json_of(report)["items"];
  for (const Json& item : items) {
    if (item["kind"] == "client_secret" && item["client_id"] == account_.client_id) {
      secret_listed = true;
      EXPECT_EQ(item["reason"], "rotation_due");
      EXPECT_EQ(item["due_since"], due_since);
      EXPECT_EQ(item["age_days"], 90);
      EXPECT_EQ(item["user_id"], account_.user_id);
    }
    if (item["kind"] == "api_key" && item["key_id"] == key_id_) {
      key_listed = true;
      EXPECT_EQ(item["reason"], "rotation_due");
    }
  }
  EXPECT_TRUE(secret_listed) << report.body;
  EXPECT_TRUE(key_listed) << report.body;
  HttpResult csv = get("/api/v1/reports/rotation?format=csv", {bearer_header(admin_token())});
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("client_secret,rotation_due," + account_.user_id + ",etl,"),
            std::string::npos)
      << csv.body;
  EXPECT_EQ(csv.body.find("lk_sec_"), std::string::npos);
  EXPECT_EQ(get("/api/v1/reports/rotation", {bearer_header(account_token_)}).status, 403);
  HttpResult key_report = get("/api/v1/reports/api-keys", {bearer_header(admin_token())});
  bool key_row = false;
  const Json key_rows = json_of(key_report)["keys"];
  for (const Json& row : key_rows) {
    if (row["key_id"] == key_id_) {
      key_row = true;
      EXPECT_EQ(row["rotation_due"], true);
    }
  }
  EXPECT_TRUE(key_row) << key_report.body;

  // A reset makes a new secret: not due, no header.
  HttpResult reset =
      post("/api/v1/users/" + account_.user_id + "/access-key", {bearer_header(admin_token())});
  ASSERT_EQ(reset.status, 200);
  HttpResult fresh = issue(json_of(reset)["client_id"], json_of(reset)["client_secret"]);
  ASSERT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.header("latchkey-secret-rotation-due"), "");
  EXPECT_EQ(user_json()["secret"]["rotation_due"], false);
  const Json me_fresh = json_of(me(json_of(fresh)["access_token"].get<std::string>()));
  EXPECT_EQ(me_fresh["secret"]["age_days"], 0) << me_fresh.dump();
  EXPECT_EQ(me_fresh["secret"]["rotation_due"], false);
}

class HardMaxAge : public SecretAge {
 protected:
  std::vector<std::string> server_args() override { return {"--secret-hard-max-age-days", "100"}; }
};

// Test that past secret_hard_max_age_days, issuance with the old secret or
// key is refused with 401 reason secret_too_old and audited. (Tokens
// issued earlier end at the hard deadline too: the admin resets their own
// secret before it, to read the trail after it.)
TEST_F(HardMaxAge, RefusesIssuanceWithTooOldCredentials) {
  make_account();
  server_->advance_clock_seconds(100 * kDay - 60);
  EXPECT_EQ(issue_again().status, 200);
  HttpResult admin_reset =
      post("/api/v1/users/" + admin().user_id + "/access-key", {bearer_header(admin_token())});
  ASSERT_EQ(admin_reset.status, 200) << admin_reset.body;
  admin_token_ = issue_token(
      {admin().user_id, json_of(admin_reset)["client_id"], json_of(admin_reset)["client_secret"]},
      "admin-tests");
  server_->advance_clock_seconds(120);
  HttpResult refused = issue(account_.client_id, account_.client_secret);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(json_of(refused).value("reason", ""), "secret_too_old");
  HttpResult key_refused = exchange();
  EXPECT_EQ(key_refused.status, 401) << key_refused.body;
  EXPECT_EQ(json_of(key_refused).value("reason", ""), "secret_too_old");
  HttpResult oauth = post("/oauth/token",
                          {basic_header(account_.client_id, account_.client_secret),
                           "Content-Type: application/x-www-form-urlencoded"},
                          "grant_type=client_credentials");
  EXPECT_EQ(oauth.status, 401);
  EXPECT_EQ(json_of(oauth).value("reason", ""), "secret_too_old");

  HttpResult trail =
      get("/api/v1/audit?action=account.token.issue&decision=deny", {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200) << trail.body;
  EXPECT_NE(trail.body.find("secret_too_old"), std::string::npos) << trail.body;
}

// Test that with the hard maximum on, a token issued with a credential
// never outlives the credential's hard deadline (created_at + 100 days):
// the account token (not a year), the OAuth token and a key's JWT say so
// in expires_in.
TEST_F(HardMaxAge, TokensEndAtTheHardDeadline) {
  make_account();
  server_->advance_clock_seconds(99 * kDay);
  HttpResult account = issue_again();
  ASSERT_EQ(account.status, 200) << account.body;
  EXPECT_NEAR(json_of(account)["expires_in"].get<double>(), kDay, 5) << account.body;
  HttpResult oauth = post("/oauth/token",
                          {basic_header(account_.client_id, account_.client_secret),
                           "Content-Type: application/x-www-form-urlencoded"},
                          "grant_type=client_credentials");
  ASSERT_EQ(oauth.status, 200) << oauth.body;
  EXPECT_EQ(json_of(oauth)["expires_in"], 3600);  // well before the deadline
  // Ten minutes before the deadline: the key's 900 s JWT ends at it.
  server_->advance_clock_seconds(kDay - 600);
  HttpResult jwt = exchange();
  ASSERT_EQ(jwt.status, 200) << jwt.body;
  EXPECT_LE(json_of(jwt)["expires_in"].get<long long>(), 600);
  EXPECT_GE(json_of(jwt)["expires_in"].get<long long>(), 590);
  HttpResult late_oauth = post("/oauth/token",
                               {basic_header(account_.client_id, account_.client_secret),
                                "Content-Type: application/x-www-form-urlencoded"},
                               "grant_type=client_credentials");
  ASSERT_EQ(late_oauth.status, 200) << late_oauth.body;
  EXPECT_LE(json_of(late_oauth)["expires_in"].get<long long>(), 600) << late_oauth.body;
}

// Test that past the hard maximum the Client Secret no longer
// authenticates the client at /oauth/introspect and /oauth/revoke either.
TEST_F(HardMaxAge, IntrospectionAndRevocationRefuseTooOldSecret) {
  make_account();
  server_->advance_clock_seconds(100 * kDay + 60);
  const std::string form = "Content-Type: application/x-www-form-urlencoded";
  HttpResult introspect =
      post("/oauth/introspect", {basic_header(account_.client_id, account_.client_secret), form},
           "token=" + account_token_);
  EXPECT_EQ(introspect.status, 401) << introspect.body;
  EXPECT_EQ(json_of(introspect).value("reason", ""), "secret_too_old");
  HttpResult revoke =
      post("/oauth/revoke", {basic_header(account_.client_id, account_.client_secret), form},
           "token=" + account_token_);
  EXPECT_EQ(revoke.status, 401) << revoke.body;
  EXPECT_EQ(json_of(revoke).value("reason", ""), "secret_too_old");
}

// Test that the service-account fields are stored, shown and validated:
// refused for humans, expiry in the past refused, null clears; and the
// dependents report shows the owner.
TEST_F(SecretAge, ServiceAccountOwnerFields) {
  make_account(R"(, "owner": "Team Data", "contact": "data@example.com",
                 "description": "nightly export")");
  Json user = user_json();
  EXPECT_EQ(user["owner"], "Team Data");
  EXPECT_EQ(user["contact"], "data@example.com");
  EXPECT_EQ(user["description"], "nightly export");
  EXPECT_TRUE(user["expires_at"].is_null());

  HttpResult human = post("/api/v1/users", {bearer_header(admin_token()), kJson},
                          R"({"name": "bob", "type": "human", "owner": "x"})");
  EXPECT_EQ(human.status, 400);
  EXPECT_NE(json_of(human).value("error_description", "").find("\"owner\""), std::string::npos)
      << human.body;
  HttpResult past = patch_user(account_.user_id, R"({"expires_at": "2001-01-01T00:00:00Z"})");
  EXPECT_EQ(past.status, 400);
  EXPECT_NE(past.body.find("expires_at"), std::string::npos);
  HttpResult bad = patch_user(account_.user_id, R"({"expires_at": "next week"})");
  EXPECT_EQ(bad.status, 400);
  HttpResult too_long =
      patch_user(account_.user_id, R"({"owner": ")" + std::string(201, 'x') + "\"}");
  EXPECT_EQ(too_long.status, 400);
  EXPECT_NE(too_long.body.find("owner"), std::string::npos);

  HttpResult cleared = patch_user(account_.user_id, R"({"contact": null, "owner": "Team B"})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(json_of(cleared)["contact"].is_null());
  EXPECT_EQ(json_of(cleared)["owner"], "Team B");
  EXPECT_EQ(json_of(cleared)["description"], "nightly export");

  HttpResult dependents =
      get("/api/v1/users/" + account_.user_id + "/dependents", {bearer_header(admin_token())});
  ASSERT_EQ(dependents.status, 200) << dependents.body;
  EXPECT_EQ(json_of(dependents)["owner"], "Team B");
}

class AccountExpiry : public SecretAge {
 protected:
  // Key-exchange JWTs live a day, so that one outlives the account.
  std::vector<std::string> server_args() override { return {"--key-access-token-ttl", "86400"}; }
};

// Test that at its expires_at an expired service account's account token
// and API-key JWT are refused and no new token is issued, and that the
// account then shows disabled (the scan ran with the clock advance).
TEST_F(AccountExpiry, ExpiredServiceAccountIsRefusedAndDisabled) {
  HttpResult now = post("/_test/clock/advance", {kJson}, R"({"seconds": 0})");
  ASSERT_EQ(now.status, 200);
  // Two hours after the server's now, in whole seconds.
  const std::string now_text = json_of(now)["now"];
  std::tm tm{};
  ASSERT_NE(strptime(now_text.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr);
  const time_t expires = timegm(&tm) + 2 * 3600;
  char text[32];
  std::tm expires_tm{};
  gmtime_r(&expires, &expires_tm);
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &expires_tm);
  make_account(std::string(R"(, "expires_at": ")") + text + "Z\"");
  EXPECT_EQ(user_json()["expires_at"].get<std::string>().substr(0, 19), text);
  HttpResult jwt_response = exchange();
  ASSERT_EQ(jwt_response.status, 200);
  const std::string jwt = json_of(jwt_response)["access_token"];
  // A day's TTL, capped at the account's expiry two hours away (so that an
  // offline verifier stops too); the account token likewise, not a year.
  EXPECT_LE(json_of(jwt_response)["expires_in"].get<long long>(), 2 * 3600);
  EXPECT_GE(json_of(jwt_response)["expires_in"].get<long long>(), 2 * 3600 - 10);
  HttpResult account_response = issue_again();
  ASSERT_EQ(account_response.status, 200);
  EXPECT_LE(json_of(account_response)["expires_in"].get<long long>(), 2 * 3600);
  EXPECT_EQ(me(account_token_).status, 200);
  EXPECT_EQ(me(jwt).status, 200);

  server_->advance_clock_seconds(2 * 3600 - 60);
  EXPECT_EQ(me(account_token_).status, 200);
  EXPECT_EQ(me(jwt).status, 200);
  EXPECT_EQ(user_json()["disabled"], false);

  server_->advance_clock_seconds(120);
  HttpResult account_refused = me(account_token_);
  EXPECT_EQ(account_refused.status, 401);
  // The account token ended at the account's expiry (its expires_at is
  // capped there), so the scan found it already expired, not live.
  EXPECT_EQ(json_of(account_refused).value("reason", ""), "expired");
  EXPECT_EQ(me(jwt).status, 401);
  EXPECT_EQ(issue(account_.client_id, account_.client_secret).status, 401);
  EXPECT_EQ(exchange().status, 401);
  EXPECT_EQ(user_json()["disabled"], true);
  HttpResult trail =
      get("/api/v1/audit?action=user.expire.disable", {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200);
  EXPECT_NE(trail.body.find(account_.user_id), std::string::npos) << trail.body;
}

}  // namespace
}  // namespace latchkey::testing
