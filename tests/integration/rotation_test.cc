// Rotation with overlap against a real latchkeyd on the test clock
// (docs/rotation.md): a Client Secret reset with previous_valid_for_seconds
// and an API key reroll. The old secret and the old key work during the
// overlap and are refused one second after it with reason "rotated", also
// after a restart on the same data directory; tokens derived from the old
// key follow it; no body (or N = 0) is seed 000's reset; bad bodies get 400.
#include <gtest/gtest.h>

#include <set>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";

std::set<std::string> keys_of(const Json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

class Rotation : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    svc_ = create_user_with_credentials("rotation-svc", "service", true);
  }

  std::string access_key_path(const std::string& user_id) const {
    return "/api/v1/users/" + user_id + "/access-key";
  }
  HttpResult reset(const std::string& body) {
    return post(access_key_path(svc_.user_id), {bearer_header(admin_token()), kJson}, body);
  }
  // A reset with an overlap of `seconds`; returns the new credentials.
  Credentials reset_with_overlap(int seconds) {
    HttpResult r = reset(R"({"previous_valid_for_seconds": )" + std::to_string(seconds) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    const Json j = json_of(r);
    EXPECT_EQ(j.value("client_id", ""), svc_.client_id);
    EXPECT_TRUE(j.contains("previous_secret_expires_at")) << r.body;
    return {svc_.user_id, j.value("client_id", ""), j.value("client_secret", "")};
  }
  // "ok" for a 200, else the refusal's reason ("" when none) after a 401.
  std::string issue_outcome(const std::string& secret) {
    HttpResult r = issue(svc_.client_id, secret);
    if (r.status == 200) return "ok";
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << "a secret was echoed";
    return json_of(r).value("reason", "");
  }
  HttpResult oauth_token(const std::string& secret) {
    return post(
        "/oauth/token",
        {"Content-Type: application/x-www-form-urlencoded", basic_header(svc_.client_id, secret)},
        "grant_type=client_credentials");
  }
  static std::string reason_of(const HttpResult& r) { return json_of(r).value("reason", ""); }

  // A key of the service account (created with its own token).
  struct Key {
    std::string id;
    std::string api_key;
  };
  Key create_key(const std::string& token) {
    HttpResult r = post("/api/v1/keys", {bearer_header(token), kJson},
                        R"({"name": "ci", "scope": "write", "expires_in_days": 30})");
    EXPECT_EQ(r.status, 201) << r.body;
    const Json j = json_of(r);
    return {j.value("id", ""), j.value("api_key", "")};
  }
  HttpResult reroll(const std::string& token, const std::string& key_id, const std::string& body) {
    return post("/api/v1/keys/" + key_id + "/reroll", {bearer_header(token), kJson}, body);
  }
  HttpResult exchange(const std::string& api_key) {
    return post("/v2/auth/token/access", {kJson}, R"({"api_key": ")" + api_key + "\"}");
  }
  HttpResult login(const std::string& api_key) {
    return post("/auth/login", {kJson}, R"({"api_key": ")" + api_key + "\"}");
  }

  Credentials svc_;
};

// Test that both secrets work during the overlap, on seed 000's exchange and
// on OAuth client credentials, and that the old one is refused with reason
// "rotated" one second after the lapse (the new one keeps working).
TEST_F(Rotation, OldSecretWorksDuringOverlapAndIsRotatedAfter) {
  const Credentials fresh = reset_with_overlap(120);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "ok");
  EXPECT_EQ(issue_outcome(fresh.client_secret), "ok");
  EXPECT_EQ(oauth_token(svc_.client_secret).status, 200);
  server_->advance_clock_seconds(118);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "ok");
  server_->advance_clock_seconds(3);  // one second (and a little) past the lapse
  EXPECT_EQ(issue_outcome(svc_.client_secret), "rotated");
  HttpResult oauth = oauth_token(svc_.client_secret);
  EXPECT_EQ(oauth.status, 401) << oauth.body;
  EXPECT_EQ(json_of(oauth).value("error", ""), "invalid_client");
  EXPECT_EQ(reason_of(oauth), "rotated");
  EXPECT_EQ(issue_outcome(fresh.client_secret), "ok");
  EXPECT_EQ(oauth_token(fresh.client_secret).status, 200);

  // Audited: the reset with its overlap, and each refusal with its reason.
  HttpResult denials = get("/api/v1/audit?decision=deny", {bearer_header(admin_token())});
  ASSERT_EQ(denials.status, 200) << denials.body;
  std::set<std::string> seen;
  const Json page = json_of(denials);  // held: a loop over a temporary's member dangles
  for (const Json& e : page["events"]) {
    seen.insert(e.value("action", "") + ":" + e.value("reason", ""));
  }
  EXPECT_TRUE(seen.contains("account.token.issue:rotated")) << denials.body;
  EXPECT_TRUE(seen.contains("oauth.token:rotated")) << denials.body;
  HttpResult resets =
      get("/api/v1/audit?action=user.access_key.reset", {bearer_header(admin_token())});
  EXPECT_NE(resets.body.find("user/" + svc_.user_id + " previous_valid_for=120s"),
            std::string::npos)
      << resets.body;
  EXPECT_EQ(resets.body.find(fresh.client_secret), std::string::npos);
}

// Test that the overlap and the lapse survive restarts of latchkeyd on the
// same data directory (the rule is the store's, judged by the clock).
TEST_F(Rotation, SecretOverlapAndLapseSurviveARestart) {
  const Credentials fresh = reset_with_overlap(3600);
  server_->restart();
  EXPECT_EQ(issue_outcome(svc_.client_secret), "ok");
  server_->advance_clock_seconds(3601);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "rotated");
  server_->restart();  // the test clock starts again from the wall clock
  server_->advance_clock_seconds(3601);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "rotated");
  EXPECT_EQ(issue_outcome(fresh.client_secret), "ok");
}

// Test that no body, {} and N = 0 are seed 000's reset: the same answer
// (user_id, client_id, client_secret) and the old secret refused at once as
// any wrong secret (no reason).
TEST_F(Rotation, NoOverlapIsTodaysReset) {
  for (const std::string body : {"", "{}", R"({"previous_valid_for_seconds": 0})"}) {
    HttpResult r = body.empty()
                       ? post(access_key_path(svc_.user_id), {bearer_header(admin_token())})
                       : reset(body);
    ASSERT_EQ(r.status, 200) << r.body;
    const Json j = json_of(r);
    EXPECT_EQ(keys_of(j), (std::set<std::string>{"user_id", "client_id", "client_secret"})) << body;
    EXPECT_EQ(issue_outcome(svc_.client_secret), "") << body;
    svc_.client_secret = j.value("client_secret", "");
    EXPECT_EQ(issue_outcome(svc_.client_secret), "ok") << body;
  }
}

// Test that two resets in a row keep at most two live secrets: the newest
// and the one it replaced; the first is a wrong secret.
TEST_F(Rotation, TwoResetsInARowKeepAtMostTwoSecrets) {
  const Credentials second = reset_with_overlap(600);
  const Credentials third = reset_with_overlap(600);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "");
  EXPECT_EQ(issue_outcome(second.client_secret), "ok");
  EXPECT_EQ(issue_outcome(third.client_secret), "ok");
}

// Test that retire-previous ends the old secret at once ("rotated") and
// answers 404 JSON when there is nothing to retire.
TEST_F(Rotation, RetirePreviousEndsTheOldSecret) {
  const std::string path = access_key_path(svc_.user_id) + "/previous";
  HttpResult none = send("DELETE", path, {bearer_header(admin_token())});
  EXPECT_EQ(none.status, 404) << none.body;
  EXPECT_EQ(json_of(none).value("error", ""), "not_found");
  const Credentials fresh = reset_with_overlap(600);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "ok");
  HttpResult retired = send("DELETE", path, {bearer_header(admin_token())});
  ASSERT_EQ(retired.status, 200) << retired.body;
  EXPECT_EQ(json_of(retired).value("client_id", ""), svc_.client_id);
  EXPECT_EQ(retired.body.find(fresh.client_secret), std::string::npos);
  EXPECT_EQ(issue_outcome(svc_.client_secret), "rotated");
  EXPECT_EQ(issue_outcome(fresh.client_secret), "ok");
  EXPECT_EQ(send("DELETE", path, {bearer_header(admin_token())}).status, 404);
}

// Test that bad bodies get a 400 JSON error that names the field, never a
// 500, and change nothing.
TEST_F(Rotation, BadBodiesAre400AndChangeNothing) {
  for (const std::string body :
       {"not json", "[]", "42", R"({"previous_valid_for_seconds": -1})",
        R"({"previous_valid_for_seconds": 604801})", R"({"previous_valid_for_seconds": "60"})",
        R"({"previous_valid_for_seconds": 1.5})", R"({"previous_valid_for_seconds": 1e30})",
        R"({"previous_valid_for_seconds": true})",
        R"({"previous_valid_for_seconds": 18446744073709551615})"}) {
    HttpResult r = reset(body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(json_of(r).value("error", ""), "invalid_request") << body;
    EXPECT_NE(json_of(r).value("error_description", "").find("previous_valid_for_seconds"),
              std::string::npos)
        << body << " -> " << r.body;
  }
  HttpResult unknown = reset(R"({"previous_valid_for": 60})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  const Key key = create_key(issue_token(svc_));
  const std::string token = issue_token(svc_);
  HttpResult bad_reroll = reroll(token, key.id, R"({"previous_valid_for_seconds": 604801})");
  EXPECT_EQ(bad_reroll.status, 400) << bad_reroll.body;
  EXPECT_EQ(issue_outcome(svc_.client_secret), "ok");  // nothing was reset
  EXPECT_EQ(exchange(key.api_key).status, 200);        // nothing was rerolled
}

// Test a reroll: the new key is revealed once with the old one's name, scope
// and expiry; both keys and the old key's tokens work during the overlap;
// after it the old key and every token derived from it (seed 004 JWT, seed
// 003 login) are refused with reason "rotated", while the new key works.
TEST_F(Rotation, RerolledKeyAndItsTokensLapseTogether) {
  const std::string token = issue_token(svc_);
  const Key old_key = create_key(token);
  HttpResult before = get("/api/v1/keys/" + old_key.id, {bearer_header(token)});
  ASSERT_EQ(before.status, 200) << before.body;
  const std::string old_jwt = json_of(exchange(old_key.api_key)).value("access_token", "");
  const std::string old_login = json_of(login(old_key.api_key)).value("access_token", "");
  ASSERT_FALSE(old_jwt.empty());
  ASSERT_FALSE(old_login.empty());

  HttpResult r = reroll(token, old_key.id, R"({"previous_valid_for_seconds": 120})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const Json fresh = json_of(r);
  const std::string new_api_key = fresh.value("api_key", "");
  EXPECT_TRUE(new_api_key.starts_with("lk_key_"));
  EXPECT_EQ(fresh.value("name", ""), "ci");
  EXPECT_EQ(fresh.value("scope", ""), json_of(before).value("scope", ""));
  EXPECT_EQ(fresh.value("expires_at", ""), json_of(before).value("expires_at", ""));
  EXPECT_EQ(fresh.value("rerolled_from", ""), old_key.id);
  EXPECT_TRUE(fresh.contains("previous_key_lapses_at"));
  const std::string new_id = fresh.value("id", "");

  HttpResult old_now = get("/api/v1/keys/" + old_key.id, {bearer_header(token)});
  EXPECT_EQ(json_of(old_now).value("replaced_by", ""), new_id);
  EXPECT_EQ(json_of(old_now).value("lapses_at", ""), fresh.value("previous_key_lapses_at", ""));
  EXPECT_EQ(json_of(old_now).value("status", ""), "active");
  HttpResult listed = get("/api/v1/keys", {bearer_header(token)});
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(new_api_key), std::string::npos);  // masked everywhere after
  EXPECT_NE(listed.body.find("\"replaced_by\":\"" + new_id + "\""), std::string::npos);

  EXPECT_EQ(exchange(old_key.api_key).status, 200);
  EXPECT_EQ(me(old_jwt).status, 200);
  EXPECT_EQ(me(old_login).status, 200);
  server_->advance_clock_seconds(121);
  for (HttpResult refused :
       {exchange(old_key.api_key), login(old_key.api_key), me(old_jwt), me(old_login)}) {
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_EQ(reason_of(refused), "rotated") << refused.body;
    EXPECT_EQ(refused.body.find(old_key.api_key), std::string::npos);
  }
  HttpResult new_exchange = exchange(new_api_key);
  ASSERT_EQ(new_exchange.status, 200) << new_exchange.body;
  EXPECT_EQ(me(json_of(new_exchange).value("access_token", "")).status, 200);
  EXPECT_EQ(json_of(get("/api/v1/keys/" + old_key.id, {bearer_header(token)})).value("status", ""),
            "rotated");
  HttpResult audited = get("/api/v1/audit?action=api_key.reroll", {bearer_header(admin_token())});
  EXPECT_NE(audited.body.find("api_key/" + old_key.id), std::string::npos) << audited.body;
  EXPECT_NE(audited.body.find("previous_valid_for=120s"), std::string::npos) << audited.body;
  EXPECT_EQ(audited.body.find(new_api_key), std::string::npos);
}

// Test that a reroll's lapse holds after restarts: the old key works after a
// restart inside the overlap, and is refused after it, also after another.
TEST_F(Rotation, RerollLapseSurvivesARestart) {
  const std::string token = issue_token(svc_);
  const Key old_key = create_key(token);
  HttpResult r = reroll(token, old_key.id, R"({"previous_valid_for_seconds": 3600})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string new_api_key = json_of(r).value("api_key", "");
  server_->restart();
  EXPECT_EQ(exchange(old_key.api_key).status, 200);
  server_->advance_clock_seconds(3601);
  EXPECT_EQ(reason_of(exchange(old_key.api_key)), "rotated");
  server_->restart();
  server_->advance_clock_seconds(3601);
  EXPECT_EQ(reason_of(exchange(old_key.api_key)), "rotated");
  EXPECT_EQ(exchange(new_api_key).status, 200);
}

// Test that a reroll without overlap stops the old key at once; that
// rerolling it again, or a deactivated key, is a 409 saying why; and who may
// reroll (the owner; an admin of another's key: 403; anyone else: 404).
TEST_F(Rotation, RerollRefusalsAndPermissions) {
  const std::string token = issue_token(svc_);
  const Key key = create_key(token);
  HttpResult by_admin = reroll(admin_token(), key.id, "");
  EXPECT_EQ(by_admin.status, 403) << by_admin.body;
  const Credentials other = create_user_with_credentials("rotation-other", "service", true);
  const std::string other_token = issue_token(other);
  EXPECT_EQ(reroll(other_token, key.id, "").status, 404);
  // Permissions come before the body: a stranger learns nothing from a 400.
  EXPECT_EQ(reroll(other_token, key.id, "not json").status, 404);
  EXPECT_EQ(reroll(admin_token(), key.id, "not json").status, 403);

  HttpResult r = reroll(token, key.id, "");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(reason_of(exchange(key.api_key)), "rotated");
  HttpResult again = reroll(token, key.id, "");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(reason_of(again), "already_rerolled");

  const Key off = create_key(token);
  ASSERT_EQ(post("/api/v1/keys/" + off.id + "/deactivate", {bearer_header(token)}).status, 200);
  HttpResult inactive = reroll(token, off.id, "");
  EXPECT_EQ(inactive.status, 409) << inactive.body;
  EXPECT_EQ(reason_of(inactive), "inactive");
}

}  // namespace
}  // namespace latchkey::testing
