// The API-key exchanges of seeds 003 and 004 against a real latchkeyd:
// verbatim shapes, session reuse, revocation and deactivation taking effect
// at once, expiry on the test clock, JWKS and rotation, and JWTs working
// wherever an account token does (docs/jwt.md).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";

class Exchange : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    owner_ = create_user_with_credentials("integration-owner", "service", true);
    owner_token_ = issue_token(owner_);
    HttpResult created = post("/api/v1/keys", {bearer_header(owner_token_), kJson},
                              R"({"name": "ci", "scope": "write", "expires_in_days": 30})");
    ASSERT_EQ(created.status, 201) << created.body;
    const Json key = json_of(created);
    api_key_ = key["api_key"];
    key_id_ = key["id"];
  }

  HttpResult access(const std::string& body) {
    return post("/v2/auth/token/access", {kJson}, body);
  }
  HttpResult login(const std::string& body) { return post("/auth/login", {kJson}, body); }
  std::string key_body(const std::string& extra = "") const {
    return R"({"api_key": ")" + api_key_ + "\"" + extra + "}";
  }
  std::string access_token() {
    HttpResult r = access(key_body());
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }
  std::string login_token(const std::string& session = "") {
    HttpResult r =
        login(session.empty() ? key_body() : key_body(R"(, "session_id": ")" + session + "\""));
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }
  static std::string reason_of(const HttpResult& r) { return json_of(r).value("reason", ""); }

  Credentials owner_;
  std::string owner_token_;
  std::string api_key_;
  std::string key_id_;
};

std::set<std::string> keys_of(const Json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

// Test seed 004's exchange verbatim: {api_key} -> {access_token, expires_in: 900},
// an ES256 JWT that works on /api/v1/account/me as the key's owner.
TEST_F(Exchange, AccessTokenVerbatim) {
  HttpResult r = access(key_body());
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = json_of(r);
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"access_token", "expires_in"}));
  EXPECT_EQ(j["expires_in"], 900);
  const std::string token = j["access_token"];
  EXPECT_TRUE(token.starts_with("eyJ")) << token;
  EXPECT_EQ(r.header("cache-control"), "no-store");

  HttpResult who = me(token);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json_of(who)["id"], owner_.user_id);
  // A second exchange: a new token.
  EXPECT_NE(access_token(), token);
}

// Test that a key expiring within 14 days says so on every exchange (issue 4:
// "announced in a response header when used"), and one that does not, not.
TEST_F(Exchange, ExpiringKeyAnnouncedInHeader) {
  EXPECT_EQ(access(key_body()).header("latchkey-key-expires-soon"), "");  // 30 days left
  HttpResult created = post("/api/v1/keys", {bearer_header(owner_token_), kJson},
                            R"({"name": "soon", "expires_in_days": 10})");
  ASSERT_EQ(created.status, 201) << created.body;
  const Json key = json_of(created);
  const std::string body = R"({"api_key": ")" + key["api_key"].get<std::string>() + "\"}";
  for (HttpResult r : {access(body), login(body)}) {
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("latchkey-key-expires-soon"), key["expires_at"].get<std::string>());
  }
}

// Test seed 003's login verbatim, and that the same (key, session) gets the
// same token back while valid, with the remaining lifetime.
TEST_F(Exchange, LoginVerbatimAndSameSessionReuse) {
  HttpResult r = login(key_body());
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = json_of(r);
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"access_token", "expires_in", "token_type"}));
  EXPECT_EQ(j["expires_in"], 7200);
  EXPECT_EQ(j["token_type"], "Bearer");
  const std::string token = j["access_token"];

  server_->advance_clock_seconds(100);
  HttpResult again = login(key_body());
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(json_of(again)["access_token"], token);
  const long long left = json_of(again)["expires_in"];
  EXPECT_GE(left, 7099);
  EXPECT_LE(left, 7100);

  // The default session is the one without session_id; a named one differs.
  const std::string s1 = login_token("worker-1");
  EXPECT_NE(s1, token);
  EXPECT_EQ(login_token("worker-1"), s1);
  const std::string s2 = login_token("worker-2");
  EXPECT_NE(s2, s1);
  EXPECT_EQ(me(s1).status, 200);
  EXPECT_EQ(me(token).status, 200);
}

// Test that concurrent logins for one (key, session) all get the same token.
TEST_F(Exchange, ConcurrentLoginsGetOneToken) {
  constexpr int kThreads = 8;
  std::vector<std::string> tokens(kThreads);
  std::vector<std::thread> threads;
  const std::string url = server_->url();
  const std::string body = key_body(R"(, "session_id": "race")");
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client;
      HttpResult r = client.send("POST", url + "/auth/login", {kJson}, body);
      if (r.status == 200) tokens[i] = Json::parse(r.body).value("access_token", "");
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& t : tokens) {
    EXPECT_FALSE(t.empty());
    EXPECT_EQ(t, tokens[0]);
  }
}

// Test that bad bodies are 400 and bad keys 401 with a reason.
TEST_F(Exchange, BadRequestsAndKeys) {
  for (const std::string& body :
       {std::string("{}"), std::string("not json"), std::string(R"({"api_key": 42})"),
        key_body(R"(, "extra": 1)"), key_body(R"(, "session_id": "x")")}) {
    HttpResult r = access(body);
    EXPECT_EQ(r.status, 400) << body << " " << r.body;
    EXPECT_EQ(json_of(r)["error"], "invalid_request");
  }
  for (const std::string& body :
       {std::string("{}"), key_body(R"(, "scope": "x")"), key_body(R"(, "session_id": 5)"),
        key_body(R"(, "session_id": "has spaces")")}) {
    EXPECT_EQ(login(body).status, 400) << body;
  }
  HttpResult unknown = access(R"({"api_key": "lk_key_notarealkey"})");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_FALSE(reason_of(unknown).empty());
  EXPECT_EQ(unknown.body.find("lk_key_notarealkey"), std::string::npos);
  HttpResult bad_login = login(R"({"api_key": "garbage"})");
  EXPECT_EQ(bad_login.status, 401);
  EXPECT_FALSE(reason_of(bad_login).empty());
}

// Test that a forged or tampered JWT is a 401 with WWW-Authenticate.
TEST_F(Exchange, TamperedJwtRefused) {
  const std::string token = access_token();
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  HttpResult r = me(tampered);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json_of(r)["error"], "invalid_token");
  EXPECT_NE(r.header("www-authenticate").find("invalid_token"), std::string::npos);
  const std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" + token.substr(token.find('.'));
  HttpResult alg_none = me(none);
  EXPECT_EQ(alg_none.status, 401);
  EXPECT_EQ(reason_of(alg_none), "unsupported_algorithm");
}

// Test that revoking a session refuses its token at once, lists it as
// revoked, refuses logins on it while its token could be valid, and that a
// new session id gets a new token.
TEST_F(Exchange, RevokedSessionRefusedImmediately) {
  const std::string token = login_token("to-revoke");
  ASSERT_EQ(me(token).status, 200);  // now cached
  const std::string path = "/api/v1/keys/" + key_id_ + "/sessions";
  HttpResult listed = get(path, {bearer_header(owner_token_)});
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(json_of(listed)["sessions"].size(), 1u);
  EXPECT_EQ(json_of(listed)["sessions"][0]["status"], "active");

  HttpResult revoked = send("DELETE", path + "/to-revoke", {bearer_header(owner_token_)});
  ASSERT_EQ(revoked.status, 204) << revoked.body;
  HttpResult after = me(token);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(reason_of(after), "revoked");
  EXPECT_EQ(json_of(get(path, {bearer_header(owner_token_)}))["sessions"][0]["status"], "revoked");
  EXPECT_EQ(send("DELETE", path + "/no-such", {bearer_header(owner_token_)}).status, 404);

  // The session stays revoked while its token could be valid (409), so the
  // revocation is never overwritten; a new session id logs in.
  HttpResult again = login(key_body(R"(, "session_id": "to-revoke")"));
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(reason_of(again), "session_revoked");
  const std::string fresh = login_token("after-revoke");
  EXPECT_NE(fresh, token);
  EXPECT_EQ(me(fresh).status, 200);

  // Another (non-admin) user cannot see or revoke them; an admin can.
  const Credentials other = create_user_with_credentials("integration-other", "service", true);
  const std::string other_token = issue_token(other);
  EXPECT_EQ(get(path, {bearer_header(other_token)}).status, 404);
  EXPECT_EQ(send("DELETE", path + "/to-revoke", {bearer_header(other_token)}).status, 404);
  EXPECT_EQ(get(path, {bearer_header(admin_token())}).status, 200);
  EXPECT_EQ(send("DELETE", path + "/after-revoke", {bearer_header(admin_token())}).status, 204);
  EXPECT_EQ(reason_of(me(fresh)), "revoked");
}

// Test invariant 4 against escalation: a token obtained from an API key never
// administers, even when the key's owner is an admin, and never mints the
// owner's Client Secret (which would lift the key's role and scope).
TEST_F(Exchange, KeyTokensNeverAdministerNorResetSecrets) {
  HttpResult created = post("/api/v1/keys", {bearer_header(admin_token()), kJson},
                            R"({"name": "admin-key", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult exchanged =
      access(R"({"api_key": ")" + json_of(created)["api_key"].get<std::string>() + "\"}");
  ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  const std::string admin_jwt = json_of(exchanged)["access_token"];
  ASSERT_EQ(me(admin_jwt).status, 200);

  HttpResult patch = send("PATCH", "/api/v1/users/" + owner_.user_id,
                          {bearer_header(admin_jwt), kJson}, R"({"disabled": true})");
  EXPECT_EQ(patch.status, 403) << patch.body;
  EXPECT_EQ(reason_of(patch), "api_key_token");
  EXPECT_EQ(get("/api/v1/audit", {bearer_header(admin_jwt)}).status, 403);
  EXPECT_EQ(post("/api/v1/roles", {bearer_header(admin_jwt), kJson}, R"({"name": "x"})").status,
            403);
  EXPECT_EQ(me(owner_token_).status, 200);  // the owner was not disabled

  for (const std::string& jwt : {admin_jwt, access_token()}) {
    HttpResult reset = post("/api/v1/users/me/access-key", {bearer_header(jwt)});
    EXPECT_EQ(reset.status, 403) << reset.body;
    EXPECT_EQ(reason_of(reset), "api_key_token");
  }
}

// Test that deactivating the key refuses its JWTs at once and refuses new exchanges.
TEST_F(Exchange, DeactivatedKeyRefusedImmediately) {
  const std::string short_lived = access_token();
  const std::string session = login_token();
  ASSERT_EQ(me(short_lived).status, 200);
  ASSERT_EQ(me(session).status, 200);
  HttpResult off =
      post("/api/v1/keys/" + key_id_ + "/deactivate", {bearer_header(owner_token_), kJson});
  ASSERT_TRUE(off.status == 200 || off.status == 204) << off.status << " " << off.body;
  EXPECT_EQ(reason_of(me(short_lived)), "revoked");
  EXPECT_EQ(reason_of(me(session)), "revoked");
  EXPECT_EQ(access(key_body()).status, 401);
  EXPECT_EQ(login(key_body()).status, 401);
}

// Test that disabling the owner or taking API access away refuses the JWT at once.
TEST_F(Exchange, OwnerStateRefusesJwt) {
  const std::string token = access_token();
  ASSERT_EQ(me(token).status, 200);
  ASSERT_EQ(patch_user(owner_.user_id, R"({"api_access": false})").status, 200);
  EXPECT_EQ(reason_of(me(token)), "api_access_disabled");
  ASSERT_EQ(patch_user(owner_.user_id, R"({"api_access": true})").status, 200);
  EXPECT_EQ(me(token).status, 200);
  ASSERT_EQ(patch_user(owner_.user_id, R"({"disabled": true})").status, 200);
  EXPECT_EQ(reason_of(me(token)), "user_disabled");
}

// Test expiry on the test clock: 900 s for seed 004, 7200 s for seed 003,
// and that a login after expiry gets a new token.
TEST_F(Exchange, TokensExpireOnTheClock) {
  // iat is whole seconds (floored) and the server's clock keeps running
  // between the calls, so each check stays a full second clear of the edge.
  const std::string short_lived = access_token();
  const std::string session = login_token();
  server_->advance_clock_seconds(898);
  EXPECT_EQ(me(short_lived).status, 200);
  server_->advance_clock_seconds(2);
  HttpResult expired = me(short_lived);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(reason_of(expired), "expired");
  EXPECT_EQ(me(session).status, 200);
  server_->advance_clock_seconds(7200 - 900 - 2);
  EXPECT_EQ(me(session).status, 200);
  EXPECT_EQ(login_token(), session);
  server_->advance_clock_seconds(2);
  EXPECT_EQ(reason_of(me(session)), "expired");
  const std::string renewed = login_token();
  EXPECT_NE(renewed, session);
  EXPECT_EQ(me(renewed).status, 200);
}

// Test JWKS and admin rotation: the old key keeps verifying its tokens and
// stays published; non-admins cannot rotate.
TEST_F(Exchange, JwksAndRotation) {
  HttpResult jwks = get("/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  ASSERT_EQ(json_of(jwks)["keys"].size(), 1u);
  const Json jwk = json_of(jwks)["keys"][0];
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_FALSE(jwk.contains("d"));

  const std::string before = login_token();
  EXPECT_EQ(post("/api/v1/signing-keys/rotate", {bearer_header(owner_token_)}).status, 403);
  EXPECT_EQ(get("/api/v1/signing-keys", {bearer_header(owner_token_)}).status, 403);
  HttpResult rotated = post("/api/v1/signing-keys/rotate", {bearer_header(admin_token())});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(json_of(rotated)["kid"], jwk["kid"]);
  EXPECT_EQ(json_of(get("/.well-known/jwks.json"))["keys"].size(), 2u);
  HttpResult listed = get("/api/v1/signing-keys", {bearer_header(admin_token())});
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(json_of(listed)["keys"].size(), 2u);

  EXPECT_EQ(me(before).status, 200);
  EXPECT_EQ(login_token(), before);  // same session, still valid: same token
  EXPECT_EQ(me(access_token()).status, 200);

  // After a restart the keys (and the session's token) are still there.
  server_->restart();
  EXPECT_EQ(me(before).status, 200);
  EXPECT_EQ(json_of(get("/.well-known/jwks.json"))["keys"].size(), 2u);
}

// Test that a read-only key's JWT reads but never writes (invariant 4):
// it cannot create keys or revoke sessions.
TEST_F(Exchange, ReadOnlyKeyNeverWrites) {
  HttpResult created = post("/api/v1/keys", {bearer_header(owner_token_), kJson},
                            R"({"name": "ro", "scope": "read", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string ro_key = json_of(created)["api_key"];
  const std::string ro_key_id = json_of(created)["id"];
  HttpResult login_ro = login(R"({"api_key": ")" + ro_key + R"(", "session_id": "ro"})");
  ASSERT_EQ(login_ro.status, 200) << login_ro.body;
  const std::string token = json_of(login_ro)["access_token"];
  EXPECT_EQ(me(token).status, 200);
  EXPECT_EQ(post("/api/v1/keys", {bearer_header(token), kJson},
                 R"({"name": "sneaky", "scope": "write", "expires_in_days": 30})")
                .status,
            403);
  EXPECT_EQ(
      send("DELETE", "/api/v1/keys/" + ro_key_id + "/sessions/ro", {bearer_header(token)}).status,
      403);
  EXPECT_EQ(me(token).status, 200);
}

// Test that exchanges are audited with the key masked, and that no full key
// reaches the audit trail.
TEST_F(Exchange, ExchangesAuditedWithMaskedKey) {
  login_token("audited");
  EXPECT_EQ(access(R"({"api_key": "lk_key_notarealkey"})").status, 401);
  server_->restart();  // a graceful stop stores every buffered audit event
  HttpResult trail = get("/api/v1/audit?limit=500", {bearer_header(admin_token())});
  ASSERT_EQ(trail.status, 200) << trail.body;
  EXPECT_EQ(trail.body.find(api_key_), std::string::npos);
  bool allowed_login = false;
  bool denied_access = false;
  const Json events = json_of(trail)["events"];
  for (const Json& e : events) {
    if (e.value("action", "") == "key.login" && e.value("decision", "") == "allow") {
      allowed_login = true;
      EXPECT_EQ(e.value("principal_id", ""), owner_.user_id);
      EXPECT_EQ(e.value("credential", ""), "key ••••" + api_key_.substr(api_key_.size() - 4));
    }
    if (e.value("action", "") == "key.token.access" && e.value("decision", "") == "deny") {
      denied_access = true;
    }
  }
  EXPECT_TRUE(allowed_login) << trail.body;
  EXPECT_TRUE(denied_access) << trail.body;
}

}  // namespace
}  // namespace latchkey::testing
