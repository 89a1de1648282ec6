// The standard OAuth 2.0 surface against a real latchkeyd (issue 6,
// docs/oauth.md): POST /oauth/token (RFC 6749 §4.4) with every §5.2 error,
// scope narrowing, introspection (RFC 7662), revocation (RFC 7009) and the
// authorization server metadata (RFC 8414).
#include <gtest/gtest.h>

#include <set>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

const std::string kForm = "Content-Type: application/x-www-form-urlencoded";
const std::string kJson = "Content-Type: application/json";

std::set<std::string> keys_of(const Json& j) {
  std::set<std::string> out;
  for (const auto& [k, v] : j.items()) out.insert(k);
  return out;
}

class OAuth : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    client_ = create_user_with_credentials("oauth-client", "service", true);
  }

  HttpResult token_request(const std::string& body, std::vector<std::string> headers = {}) {
    headers.push_back(kForm);
    return post("/oauth/token", headers, body);
  }
  HttpResult token_basic(const Credentials& c, const std::string& body) {
    return token_request(body, {basic_header(c.client_id, c.client_secret)});
  }
  // A token of `c` by client_secret_basic (fails the test otherwise).
  std::string oauth_token(const Credentials& c, const std::string& scope = "") {
    HttpResult r =
        token_basic(c, "grant_type=client_credentials" + (scope.empty() ? "" : "&scope=" + scope));
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }
  HttpResult introspect(const std::string& token, const Credentials& by) {
    return post("/oauth/introspect", {kForm, basic_header(by.client_id, by.client_secret)},
                "token=" + token);
  }
  HttpResult revoke(const std::string& token, const Credentials& by) {
    return post("/oauth/revoke", {kForm, basic_header(by.client_id, by.client_secret)},
                "token=" + token);
  }

  // Asserts an RFC 6749 §5.2 error: status, exactly {error,
  // error_description} and maybe latchkey's reason, no-store.
  static void expect_oauth_error(const HttpResult& r, long status, const std::string& error) {
    EXPECT_EQ(r.status, status) << r.body;
    const Json j = json_of(r);
    EXPECT_EQ(j.value("error", ""), error) << r.body;
    std::set<std::string> keys = keys_of(j);
    keys.erase("reason");
    EXPECT_EQ(keys, (std::set<std::string>{"error", "error_description"})) << r.body;
    EXPECT_EQ(r.header("cache-control"), "no-store");
  }

  Credentials client_;
};

// Test a client_credentials grant with client_secret_basic: RFC 6749 §5.1
// response, no-store, and the JWT works as a bearer token as its user.
TEST_F(OAuth, TokenWithClientSecretBasic) {
  HttpResult r = token_basic(client_, "grant_type=client_credentials");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = json_of(r);
  EXPECT_EQ(keys_of(j),
            (std::set<std::string>{"access_token", "token_type", "expires_in", "scope"}));
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["expires_in"], 3600);
  EXPECT_EQ(j["scope"], "read write");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(r.header("pragma"), "no-cache");
  const std::string token = j["access_token"];
  EXPECT_TRUE(token.starts_with("eyJ")) << token;
  HttpResult who = me(token);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json_of(who)["id"], client_.user_id);
  EXPECT_EQ(json_of(who)["client_id"], client_.client_id);
}

// Test client_secret_post, with the credentials form-encoded in the body.
TEST_F(OAuth, TokenWithClientSecretPost) {
  HttpResult r = token_request("grant_type=client_credentials&client_id=" + client_.client_id +
                               "&client_secret=" + client_.client_secret + "&scope=read+write");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["scope"], "read write");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(me(json_of(r)["access_token"]).status, 200);
}

// Test invalid_client: 401 with WWW-Authenticate: Basic when the client used
// Basic; 401 without it for client_secret_post or no authentication.
TEST_F(OAuth, InvalidClientBasicVersusPost) {
  const std::string wrong = "lk_sec_" + std::string(49, 'A');
  HttpResult basic =
      token_request("grant_type=client_credentials", {basic_header(client_.client_id, wrong)});
  expect_oauth_error(basic, 401, "invalid_client");
  EXPECT_EQ(basic.header("www-authenticate"), "Basic realm=\"latchkey\"");

  HttpResult wrong_secret = token_basic({client_.user_id, client_.client_id, admin().client_secret},
                                        "grant_type=client_credentials");
  expect_oauth_error(wrong_secret, 401, "invalid_client");
  EXPECT_EQ(wrong_secret.header("www-authenticate"), "Basic realm=\"latchkey\"");

  HttpResult posted = token_request("grant_type=client_credentials&client_id=" + client_.client_id +
                                    "&client_secret=" + wrong);
  expect_oauth_error(posted, 401, "invalid_client");
  EXPECT_EQ(posted.header("www-authenticate"), "");

  HttpResult none = token_request("grant_type=client_credentials");
  expect_oauth_error(none, 401, "invalid_client");
  EXPECT_EQ(none.header("www-authenticate"), "");
}

// Test invalid_request: missing grant_type, both authentication methods,
// wrong Content-Type, a repeated parameter, a malformed body.
TEST_F(OAuth, InvalidRequestCases) {
  expect_oauth_error(token_basic(client_, "scope=read"), 400, "invalid_request");
  expect_oauth_error(token_basic(client_, "grant_type="), 400, "invalid_request");
  expect_oauth_error(
      token_basic(client_, "grant_type=client_credentials&client_secret=" + client_.client_secret),
      400, "invalid_request");
  expect_oauth_error(
      post("/oauth/token", {kJson, basic_header(client_.client_id, client_.client_secret)},
           R"({"grant_type":"client_credentials"})"),
      400, "invalid_request");
  expect_oauth_error(
      post("/oauth/token",
           {"Content-Type: text/plain", basic_header(client_.client_id, client_.client_secret)},
           "grant_type=client_credentials"),
      400, "invalid_request");
  expect_oauth_error(
      token_basic(client_, "grant_type=client_credentials&grant_type=client_credentials"), 400,
      "invalid_request");
  expect_oauth_error(token_basic(client_, "grant_type=client_credentials&scope=read&scope=write"),
                     400, "invalid_request");
  expect_oauth_error(token_basic(client_, "grant_type=client%ZZcredentials"), 400,
                     "invalid_request");
}

// Test the credential-stuffing throttle: repeated wrong secrets (by
// client_secret_post) end in 429 temporarily_unavailable with Retry-After,
// even for the right secret, until the delay has passed.
TEST_F(OAuth, FailedSecretsAreThrottled) {
  const std::string wrong = "grant_type=client_credentials&client_id=" + client_.client_id +
                            "&client_secret=lk_sec_" + std::string(49, 'A');
  HttpResult throttled;
  for (int i = 0; i < 12 && throttled.status != 429; ++i) throttled = token_request(wrong);
  ASSERT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_EQ(json_of(throttled)["error"], "temporarily_unavailable");
  EXPECT_FALSE(throttled.header("retry-after").empty());
  EXPECT_EQ(throttled.header("cache-control"), "no-store");
  EXPECT_EQ(token_basic(client_, "grant_type=client_credentials").status, 429);
  server_->advance_clock_seconds(std::stoll(throttled.header("retry-after")));
  EXPECT_EQ(token_basic(client_, "grant_type=client_credentials").status, 200);
}

// Test unsupported_grant_type and invalid_scope.
TEST_F(OAuth, UnsupportedGrantTypeAndInvalidScope) {
  expect_oauth_error(token_basic(client_, "grant_type=password&username=a&password=b"), 400,
                     "unsupported_grant_type");
  expect_oauth_error(token_basic(client_, "grant_type=authorization_code&code=x"), 400,
                     "unsupported_grant_type");
  expect_oauth_error(token_basic(client_, "grant_type=client_credentials&scope=admin"), 400,
                     "invalid_scope");
  expect_oauth_error(token_basic(client_, "grant_type=client_credentials&scope=read%20admin"), 400,
                     "invalid_scope");
}

// Test seed 001 ("a service account without API access enabled returns 401
// on every call"): the token endpoint answers 401 invalid_client with the
// reason for a user without API access, and for a disabled one.
TEST_F(OAuth, DisabledClientIsInvalidClient) {
  ASSERT_EQ(patch_user(client_.user_id, R"({"api_access":false})").status, 200);
  HttpResult no_access = token_basic(client_, "grant_type=client_credentials");
  expect_oauth_error(no_access, 401, "invalid_client");
  EXPECT_EQ(json_of(no_access)["reason"], "api_access_disabled");
  HttpResult posted = post("/oauth/token", {kForm},
                           "grant_type=client_credentials&client_id=" + client_.client_id +
                               "&client_secret=" + client_.client_secret);
  expect_oauth_error(posted, 401, "invalid_client");
  EXPECT_EQ(json_of(posted)["reason"], "api_access_disabled");
  ASSERT_EQ(patch_user(client_.user_id, R"({"api_access":true,"disabled":true})").status, 200);
  HttpResult disabled = token_basic(client_, "grant_type=client_credentials");
  expect_oauth_error(disabled, 401, "invalid_client");
  EXPECT_EQ(json_of(disabled)["reason"], "user_disabled");
}

// Test that OAuth tokens are refused once their user is disabled or loses
// API access, like every other token.
TEST_F(OAuth, TokenRefusedAfterDisableOrApiAccessOff) {
  const std::string token = oauth_token(client_);
  ASSERT_EQ(me(token).status, 200);
  ASSERT_EQ(patch_user(client_.user_id, R"({"api_access":false})").status, 200);
  HttpResult off = me(token);
  EXPECT_EQ(off.status, 401);
  EXPECT_EQ(json_of(off)["reason"], "api_access_disabled");
  EXPECT_EQ(introspect(token, admin()).body, R"({"active":false})");
  ASSERT_EQ(patch_user(client_.user_id, R"({"api_access":true,"disabled":true})").status, 200);
  HttpResult disabled = me(token);
  EXPECT_EQ(disabled.status, 401);
  EXPECT_EQ(json_of(disabled)["reason"], "user_disabled");
}

// Test scope narrowing: a "read" token reads but never writes (authorize
// denies write actions with key_read_only; state-changing endpoints answer
// 403 insufficient_scope) and never administers.
TEST_F(OAuth, ReadScopeNeverWrites) {
  const std::vector<std::string> admin_json = {bearer_header(admin_token()), kJson};
  HttpResult app = post("/api/v1/applications", admin_json,
                        R"({"name":"oauth-app","steps":[{"name":"intake","origin":true}]})");
  ASSERT_EQ(app.status, 201) << app.body;
  const std::string app_id = json_of(app)["id"];
  const std::string step_id = json_of(app)["origin_step"];
  HttpResult set = post("/api/v1/permission-sets", admin_json,
                        Json{{"name", "intake-edit"}, {"steps", {{step_id, "edit"}}}}.dump());
  ASSERT_EQ(set.status, 201) << set.body;
  HttpResult role = post(
      "/api/v1/roles", admin_json,
      Json{{"name", "records"}, {"modules", {"RECORDS"}}, {"permission_sets", {json_of(set)["id"]}}}
          .dump());
  ASSERT_EQ(role.status, 201) << role.body;
  ASSERT_EQ(
      send("PUT",
           "/api/v1/users/" + client_.user_id + "/roles/" + json_of(role)["id"].get<std::string>(),
           admin_json)
          .status,
      200);
  ASSERT_EQ(send("PUT", "/api/v1/users/" + client_.user_id + "/entitlements/" + app_id, admin_json,
                 R"({"access":"edit"})")
                .status,
            200);
  const std::string read_body =
      Json{{"action", "read_records"}, {"application", app_id}, {"steps", {step_id}}}.dump();
  const std::string write_body =
      Json{{"action", "create_record"}, {"application", app_id}, {"steps", {step_id}}}.dump();

  HttpResult narrowed = token_basic(client_, "grant_type=client_credentials&scope=read");
  ASSERT_EQ(narrowed.status, 200) << narrowed.body;
  EXPECT_EQ(json_of(narrowed)["scope"], "read");
  const std::string read_token = json_of(narrowed)["access_token"];
  const std::string full_token = oauth_token(client_);

  HttpResult full_write = post("/v1/authorize", {bearer_header(full_token), kJson}, write_body);
  EXPECT_EQ(full_write.status, 200) << full_write.body;
  HttpResult read_read = post("/v1/authorize", {bearer_header(read_token), kJson}, read_body);
  EXPECT_EQ(read_read.status, 200) << read_read.body;
  HttpResult read_write = post("/v1/authorize", {bearer_header(read_token), kJson}, write_body);
  EXPECT_EQ(read_write.status, 403) << read_write.body;
  EXPECT_EQ(json_of(read_write)["reason"], "key_read_only");

  // No state change through any other endpoint either.
  HttpResult key = post("/api/v1/keys", {bearer_header(read_token), kJson},
                        R"({"name": "sneaky", "scope": "write", "expires_in_days": 30})");
  EXPECT_EQ(key.status, 403) << key.body;
  EXPECT_EQ(json_of(key)["reason"], "insufficient_scope");
  EXPECT_EQ(post("/api/v1/users/me/access-key", {bearer_header(read_token)}).status, 403);
  EXPECT_EQ(me(read_token).status, 200);
  // Nor through a path spelt differently ("//api/..." once slipped past the
  // "/api/" check while the router still matched it).
  for (const char* path : {"//api/v1/keys", "/api//v1/keys"}) {
    HttpResult doubled = post(path, {bearer_header(read_token), kJson},
                              R"({"name": "sneaky2", "scope": "write", "expires_in_days": 30})");
    EXPECT_EQ(doubled.status, 404) << path << " " << doubled.body;
  }
  EXPECT_EQ(post("//api/v1/users/me/access-key", {bearer_header(read_token)}).status, 404);

  // A read token of an admin never administers; a full one does.
  HttpResult admin_read = token_basic(admin(), "grant_type=client_credentials&scope=read");
  ASSERT_EQ(admin_read.status, 200);
  EXPECT_EQ(get("/api/v1/users", {bearer_header(json_of(admin_read)["access_token"])}).status, 403);
  EXPECT_EQ(get("/api/v1/users", {bearer_header(oauth_token(admin()))}).status, 200);
}

// Test introspection of an active token of each kind: OAuth JWT, seed-004
// key JWT and a seed-000 opaque account token.
TEST_F(OAuth, IntrospectActiveTokens) {
  const std::string token = oauth_token(client_, "read");
  HttpResult r = introspect(token, client_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const Json j = json_of(r);
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["scope"], "read");
  EXPECT_EQ(j["client_id"], client_.client_id);
  EXPECT_EQ(j["username"], "oauth-client");
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["sub"], client_.user_id);
  // iss is the RFC 8414 issuer: the server's URL (no public_url here).
  EXPECT_EQ(j["iss"], server_->url());
  EXPECT_EQ(j["aud"], "latchkey");
  EXPECT_EQ(j["exp"].get<long long>() - j["iat"].get<long long>(), 3600);
  EXPECT_TRUE(j["jti"].get<std::string>().starts_with("jti_"));

  // client_secret_post works too.
  HttpResult posted =
      post("/oauth/introspect", {kForm},
           "token=" + token + "&token_type_hint=access_token&client_id=" + client_.client_id +
               "&client_secret=" + client_.client_secret);
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(json_of(posted)["active"], true);

  const std::string account = issue_token(client_);
  HttpResult opaque = introspect(account, admin());
  ASSERT_EQ(opaque.status, 200);
  EXPECT_EQ(json_of(opaque)["active"], true);
  EXPECT_EQ(json_of(opaque)["scope"], "read write");
  EXPECT_EQ(json_of(opaque)["sub"], client_.user_id);
  EXPECT_FALSE(json_of(opaque).contains("jti"));

  HttpResult created = post("/api/v1/keys", {bearer_header(account), kJson},
                            R"({"name": "ci", "scope": "read", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult exchanged =
      post("/v2/auth/token/access", {kJson},
           R"({"api_key": ")" + json_of(created)["api_key"].get<std::string>() + "\"}");
  ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  HttpResult key_jwt = introspect(json_of(exchanged)["access_token"], client_);
  ASSERT_EQ(key_jwt.status, 200);
  EXPECT_EQ(json_of(key_jwt)["active"], true);
  EXPECT_EQ(json_of(key_jwt)["scope"], "read");
  EXPECT_EQ(json_of(key_jwt)["client_id"], json_of(created)["id"]);
}

// Test that expired, revoked, superseded, malformed and unknown tokens all
// introspect as exactly {"active":false}.
TEST_F(OAuth, IntrospectInactiveTokensLeakNothing) {
  const std::string expiring = oauth_token(client_);
  const std::string revoked = oauth_token(client_);
  ASSERT_EQ(revoke(revoked, client_).status, 200);
  const std::string superseded = issue_token(client_);
  issue_token(client_);  // seed 000: supersedes the previous one
  for (const std::string& t :
       {revoked, superseded, std::string("lk_at_unknown"), std::string("eyJhbGc.eyJzdWIi.c2ln"),
        std::string("not a token at all")}) {
    HttpResult r = introspect(t, client_);
    EXPECT_EQ(r.status, 200) << t;
    EXPECT_EQ(r.body, R"({"active":false})") << t;
    EXPECT_EQ(r.header("cache-control"), "no-store");
  }
  EXPECT_EQ(json_of(introspect(expiring, client_))["active"], true);
  server_->advance_clock_seconds(3601);
  HttpResult expired = introspect(expiring, client_);
  EXPECT_EQ(expired.status, 200);
  EXPECT_EQ(expired.body, R"({"active":false})");
}

// Test that introspection needs client authentication (or an admin bearer
// token) and the token parameter.
TEST_F(OAuth, IntrospectionNeedsClientAuthentication) {
  const std::string token = oauth_token(client_);
  HttpResult none = post("/oauth/introspect", {kForm}, "token=" + token);
  expect_oauth_error(none, 401, "invalid_client");
  HttpResult bad =
      post("/oauth/introspect", {kForm, basic_header(client_.client_id, admin().client_secret)},
           "token=" + token);
  expect_oauth_error(bad, 401, "invalid_client");
  EXPECT_EQ(bad.header("www-authenticate"), "Basic realm=\"latchkey\"");
  // A non-admin bearer token may not introspect; an admin's may.
  EXPECT_EQ(post("/oauth/introspect", {kForm, bearer_header(token)}, "token=" + token).status, 403);
  HttpResult by_admin =
      post("/oauth/introspect", {kForm, bearer_header(admin_token())}, "token=" + token);
  ASSERT_EQ(by_admin.status, 200) << by_admin.body;
  EXPECT_EQ(json_of(by_admin)["active"], true);
  expect_oauth_error(introspect("", client_), 400, "invalid_request");
  expect_oauth_error(
      post("/oauth/introspect", {kJson, basic_header(client_.client_id, client_.client_secret)},
           "token=" + token),
      400, "invalid_request");
}

// Test revocation: 200 twice (idempotent) and for unknown tokens; the
// revoked JWT is refused everywhere at once and after a restart.
TEST_F(OAuth, RevocationIsIdempotentAndDurable) {
  const std::string token = oauth_token(client_);
  const std::string other = oauth_token(client_);
  ASSERT_EQ(me(token).status, 200);
  HttpResult first = revoke(token, client_);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, "");
  EXPECT_EQ(first.header("cache-control"), "no-store");
  EXPECT_EQ(revoke(token, client_).status, 200);
  EXPECT_EQ(revoke("lk_at_unknown", client_).status, 200);
  EXPECT_EQ(revoke("whatever", client_).status, 200);

  HttpResult refused = me(token);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused)["reason"], "revoked");
  EXPECT_EQ(me(other).status, 200);  // only that token

  server_->restart();
  EXPECT_EQ(me(token).status, 401);
  EXPECT_EQ(introspect(token, client_).body, R"({"active":false})");
  EXPECT_EQ(me(other).status, 200);
}

// Test that revoking a seed-003 login token ends its session: the next login
// on that session must not hand the revoked token back.
TEST_F(OAuth, RevokingALoginTokenEndsItsSession) {
  const std::string account = issue_token(client_);
  HttpResult created = post("/api/v1/keys", {bearer_header(account), kJson},
                            R"({"name": "login", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string login_body =
      Json{{"api_key", json_of(created)["api_key"]}, {"session_id", "s-1"}}.dump();
  HttpResult login = post("/auth/login", {kJson}, login_body);
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = json_of(login)["access_token"];
  ASSERT_EQ(me(token).status, 200);

  ASSERT_EQ(revoke(token, client_).status, 200);
  EXPECT_EQ(me(token).status, 401);
  HttpResult again = post("/auth/login", {kJson}, login_body);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.body.find(token), std::string::npos);
  EXPECT_EQ(introspect(token, client_).body, R"({"active":false})");
}

// Test revoking an opaque seed-000 account token (tombstone "revoked"), and
// that revocation needs client authentication.
TEST_F(OAuth, RevokeAccountToken) {
  const std::string account = issue_token(client_);
  expect_oauth_error(post("/oauth/revoke", {kForm}, "token=" + account), 401, "invalid_client");
  EXPECT_EQ(me(account).status, 200);
  HttpResult r =
      post("/oauth/revoke", {kForm},
           "token=" + account + "&token_type_hint=access_token&client_id=" + client_.client_id +
               "&client_secret=" + client_.client_secret);
  EXPECT_EQ(r.status, 200) << r.body;
  HttpResult refused = me(account);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused)["reason"], "revoked");
}

// Test that a client cannot revoke another user's token (200, nothing
// happens), while an admin can.
TEST_F(OAuth, RevokeOnlyOwnTokensUnlessAdmin) {
  const Credentials other = create_user_with_credentials("other-client", "service", true);
  const std::string token = oauth_token(client_);
  EXPECT_EQ(revoke(token, other).status, 200);
  EXPECT_EQ(me(token).status, 200);
  EXPECT_EQ(revoke(token, admin()).status, 200);
  EXPECT_EQ(me(token).status, 401);
}

// Test the RFC 8414 metadata: absolute URLs from the request's Host, the
// supported methods, and that every endpoint it lists answers.
TEST_F(OAuth, MetadataListsEndpointsThatAnswer) {
  HttpResult r = get("/.well-known/oauth-authorization-server");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = json_of(r);
  const std::string base = server_->url();
  EXPECT_EQ(j["issuer"], base);
  EXPECT_EQ(j["token_endpoint"], base + "/oauth/token");
  EXPECT_EQ(j["jwks_uri"], base + "/.well-known/jwks.json");
  EXPECT_EQ(j["introspection_endpoint"], base + "/oauth/introspect");
  EXPECT_EQ(j["revocation_endpoint"], base + "/oauth/revoke");
  EXPECT_EQ(j["grant_types_supported"], Json::array({"client_credentials"}));
  const Json methods = Json::array({"client_secret_basic", "client_secret_post"});
  EXPECT_EQ(j["token_endpoint_auth_methods_supported"], methods);
  EXPECT_EQ(j["introspection_endpoint_auth_methods_supported"], methods);
  EXPECT_EQ(j["revocation_endpoint_auth_methods_supported"], methods);
  EXPECT_EQ(j["scopes_supported"], Json::array({"read", "write"}));
  EXPECT_TRUE(j["response_types_supported"].is_array());

  auto path_of = [&](const std::string& url) { return url.substr(base.size()); };
  EXPECT_EQ(get(path_of(j["jwks_uri"])).status, 200);
  HttpResult token = token_basic(client_, "grant_type=client_credentials");
  EXPECT_EQ(post(path_of(j["token_endpoint"]),
                 {kForm, basic_header(client_.client_id, client_.client_secret)},
                 "grant_type=client_credentials")
                .status,
            200);
  EXPECT_EQ(post(path_of(j["introspection_endpoint"]),
                 {kForm, basic_header(client_.client_id, client_.client_secret)},
                 "token=" + json_of(token)["access_token"].get<std::string>())
                .status,
            200);
  EXPECT_EQ(post(path_of(j["revocation_endpoint"]),
                 {kForm, basic_header(client_.client_id, client_.client_secret)}, "token=x")
                .status,
            200);
}

class OAuthPublicUrl : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    return {"--public-url", "https://auth.example.com/"};
  }
};

// Test that public_url, when set, is the base of every metadata URL.
TEST_F(OAuthPublicUrl, MetadataUsesPublicUrl) {
  HttpResult r = get("/.well-known/oauth-authorization-server");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = json_of(r);
  EXPECT_EQ(j["issuer"], "https://auth.example.com");
  EXPECT_EQ(j["token_endpoint"], "https://auth.example.com/oauth/token");
  // The tokens' iss is that issuer too (RFC 9068 §4).
  const std::string basic = basic_header(admin().client_id, admin().client_secret);
  HttpResult issued = post("/oauth/token", {kForm, basic}, "grant_type=client_credentials");
  ASSERT_EQ(issued.status, 200) << issued.body;
  HttpResult introspected = post("/oauth/introspect", {kForm, basic},
                                 "token=" + json_of(issued)["access_token"].get<std::string>());
  ASSERT_EQ(introspected.status, 200) << introspected.body;
  EXPECT_EQ(json_of(introspected)["iss"], "https://auth.example.com");
  EXPECT_EQ(j["jwks_uri"], "https://auth.example.com/.well-known/jwks.json");
}

// Test the oauth_access_token_ttl setting and expiry on the test clock.
class OAuthTtl : public ServerTest {
 protected:
  std::vector<std::string> server_args() override { return {"--oauth-access-token-ttl", "60"}; }
};

TEST_F(OAuthTtl, TokensLiveTheConfiguredTime) {
  HttpResult r =
      post("/oauth/token", {kForm, basic_header(admin().client_id, admin().client_secret)},
           "grant_type=client_credentials");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["expires_in"], 60);
  const std::string token = json_of(r)["access_token"];
  EXPECT_EQ(me(token).status, 200);
  server_->advance_clock_seconds(61);
  HttpResult expired = me(token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(json_of(expired)["reason"], "expired");
}

}  // namespace
}  // namespace latchkey::testing
