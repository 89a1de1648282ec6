// The web console's sign-in end to end (docs/console.md): a real latchkeyd
// on loopback, its bootstrap password, the session cookie on the admin API
// with CSRF and Origin checks, throttling, sign-out, sessions, invitations,
// the console's tokens, and the data plane that never takes the cookie.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "integration/server_fixture.h"
#include "unit/http/raw_connection.h"

namespace latchkey::testing {
namespace {

using http::RawConnection;
using http::RawResponse;

struct Session {
  std::string cookie;  // "latchkey_session=lk_cs_..."
  std::string csrf;
  std::string id;
  Json body;
};

class Console : public ServerTest {
 protected:
  Json bootstrap_file() {
    std::ifstream in(server_->data_dir() + "/bootstrap.json");
    std::stringstream text;
    text << in.rdbuf();
    return Json::parse(text.str(), nullptr, false);
  }

  std::string admin_password() { return bootstrap_file().value("password", ""); }

  HttpResult sign_in_raw(const std::string& username, const std::string& password) {
    return post("/api/v1/console/sign-in",
                {"Content-Type: application/json", "User-Agent: console-tests"},
                Json{{"username", username}, {"password", password}}.dump());
  }

  Session sign_in(const std::string& username, const std::string& password) {
    HttpResult r = sign_in_raw(username, password);
    EXPECT_EQ(r.status, 200) << r.body;
    Session s;
    const std::string set_cookie = r.header("set-cookie");
    s.cookie = set_cookie.substr(0, set_cookie.find(';'));
    s.body = json_of(r);
    s.csrf = s.body.value("csrf_token", "");
    s.id = s.body.value("session_id", "");
    return s;
  }

  Session sign_in_admin() { return sign_in("admin", admin_password()); }

  std::uint16_t port() const {
    const std::string url = server_->url();
    return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  }

  // Headers of a console request: the cookie, and the CSRF token when given.
  static std::vector<std::string> with(const Session& s, bool csrf = true) {
    std::vector<std::string> h = {"Cookie: " + s.cookie, "Content-Type: application/json"};
    if (csrf) h.push_back("X-CSRF-Token: " + s.csrf);
    return h;
  }

  // A human user with a console password set through an invitation.
  std::string invited_person(const std::string& name, const std::string& password,
                             bool api_access = true) {
    const std::string id = create_user(name, "human", api_access);
    HttpResult inv = post("/api/v1/users/" + id + "/invitation", {bearer_header(admin_token())});
    EXPECT_EQ(inv.status, 201) << inv.body;
    const std::string url = json_of(inv).value("invitation_url", "");
    const std::string token = url.substr(url.find('#') + 1);
    HttpResult accepted =
        post("/api/v1/console/invitations/accept", {"Content-Type: application/json"},
             Json{{"token", token}, {"password", password}}.dump());
    EXPECT_EQ(accepted.status, 204) << accepted.body;
    return id;
  }

  std::vector<Json> audit_events(const std::string& query) {
    HttpResult r = get("/api/v1/audit" + query, {bearer_header(admin_token())});
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r)["events"].get<std::vector<Json>>();
  }
};

// Test that the first start writes the admin's console username and
// password to the bootstrap file and that they sign in, with the documented
// cookie flags (no Secure on plain HTTP) and the session object.
TEST_F(Console, BootstrapPasswordSignsIn) {
  const Json file = bootstrap_file();
  EXPECT_EQ(file.value("username", ""), "admin");
  ASSERT_GE(file.value("password", "").size(), 12u);
  HttpResult r = sign_in_raw("admin", file["password"]);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cookie = r.header("set-cookie");
  EXPECT_TRUE(cookie.starts_with("latchkey_session=lk_cs_")) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const Json body = json_of(r);
  EXPECT_TRUE(body["session_id"].get<std::string>().starts_with("ses_"));
  EXPECT_FALSE(body["csrf_token"].get<std::string>().empty());
  EXPECT_EQ(body["user"]["name"], "admin");
  EXPECT_EQ(body["user"]["id"], admin().user_id);
  EXPECT_EQ(body["user"]["client_id"], admin().client_id);
  EXPECT_EQ(body["user"]["modules"], Json({"ADMIN"}));
  EXPECT_EQ(body["user"]["api_access"], true);
  EXPECT_TRUE(body.contains("expires_at"));
  EXPECT_TRUE(body.contains("idle_expires_at"));
  // The session reads back, with the same CSRF token (for a reloaded page).
  const std::string pair = cookie.substr(0, cookie.find(';'));
  HttpResult again = get("/api/v1/console/session", {"Cookie: " + pair});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json_of(again)["csrf_token"], body["csrf_token"]);
  EXPECT_EQ(json_of(again)["session_id"], body["session_id"]);
}

// Test the cookie on the admin API: reads work; a write needs the session's
// X-CSRF-Token (missing or wrong: 403 csrf_token_invalid and nothing is
// created), and a foreign Origin is refused even with the token.
TEST_F(Console, CookieAdministersWithCsrf) {
  const Session s = sign_in_admin();
  HttpResult users = get("/api/v1/users", with(s, false));
  ASSERT_EQ(users.status, 200) << users.body;
  const Json create = {{"name", "made-by-console"}, {"type", "human"}, {"api_access", false}};
  HttpResult no_token = post("/api/v1/users", with(s, false), create.dump());
  EXPECT_EQ(no_token.status, 403) << no_token.body;
  EXPECT_EQ(json_of(no_token)["reason"], "csrf_token_invalid");
  std::vector<std::string> wrong = with(s, false);
  wrong.push_back("X-CSRF-Token: " + std::string(64, 'a'));
  HttpResult wrong_token = post("/api/v1/users", wrong, create.dump());
  EXPECT_EQ(wrong_token.status, 403) << wrong_token.body;
  EXPECT_EQ(json_of(wrong_token)["reason"], "csrf_token_invalid");
  std::vector<std::string> foreign = with(s);
  foreign.push_back("Origin: http://evil.example");
  HttpResult cross = post("/api/v1/users", foreign, create.dump());
  EXPECT_EQ(cross.status, 403) << cross.body;
  EXPECT_EQ(json_of(cross)["reason"], "csrf_token_invalid");
  // Nothing was created by the refused calls.
  // Held in a variable: a range-for over a member of a temporary would read
  // freed memory (the temporary dies before the loop; GCC 12 predates P2718).
  const Json listed = json_of(get("/api/v1/users", with(s, false)));
  for (const Json& u : listed["users"]) {
    EXPECT_NE(u["name"], "made-by-console");
  }
  std::vector<std::string> same_origin = with(s);
  same_origin.push_back("Origin: " + server_->url());
  HttpResult made = post("/api/v1/users", same_origin, create.dump());
  EXPECT_EQ(made.status, 201) << made.body;
  // A bearer token wins over the cookie (no CSRF needed, cookie ignored).
  HttpResult bearer = post("/api/v1/users",
                           {bearer_header(admin_token()), "Cookie: latchkey_session=garbage",
                            "Content-Type: application/json"},
                           Json{{"name", "made-by-bearer"}, {"type", "human"}}.dump());
  EXPECT_EQ(bearer.status, 201) << bearer.body;
}

// Test that an unknown user, a wrong password, a service account and a
// disabled person get the very same 401.
TEST_F(Console, FailedSignInsAreIndistinguishable) {
  const std::string password = "carol's long password";
  const std::string carol = invited_person("carol", password);
  create_user("robot", "service", true);
  ASSERT_EQ(patch_user(carol, R"({"disabled": true})").status, 200);
  HttpResult wrong = sign_in_raw("admin", "not the admin password");
  HttpResult unknown = sign_in_raw("nobody", "not the admin password");
  HttpResult service = sign_in_raw("robot", "not the admin password");
  HttpResult disabled = sign_in_raw("carol", password);
  for (const HttpResult* r : {&wrong, &unknown, &service, &disabled}) {
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(r->body, wrong.body);
    EXPECT_EQ(r->header("set-cookie"), "");
  }
  EXPECT_EQ(json_of(wrong)["error"], "invalid_credentials");
  EXPECT_EQ(wrong.body.find("not the admin password"), std::string::npos);
}

// Test the sign-in throttle: five wrong passwords for a username cost
// nothing, the sixth starts a delay during which even the right password
// gets 429 too_many_attempts with Retry-After.
TEST_F(Console, SignInIsThrottled) {
  for (int i = 0; i < 6; ++i) {
    HttpResult r = sign_in_raw("admin", "wrong password number " + std::to_string(i));
    ASSERT_EQ(r.status, 401) << i << ": " << r.body;
  }
  HttpResult throttled = sign_in_raw("admin", admin_password());
  ASSERT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_EQ(json_of(throttled)["error"], "too_many_attempts");
  EXPECT_EQ(throttled.header("retry-after"), "1");
  server_->advance_clock_seconds(1);
  EXPECT_EQ(sign_in_raw("admin", admin_password()).status, 200);
}

// A sign-in sent from another loopback address (127.0.0.2, ...).
std::optional<RawResponse> sign_in_from(std::uint16_t port, const char* source_ip,
                                        const std::string& username, const std::string& password) {
  RawConnection c(port, 0, source_ip);
  if (!c.connected()) return std::nullopt;
  const std::string body = Json{{"username", username}, {"password", password}}.dump();
  c.send(
      "POST /api/v1/console/sign-in HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  return c.read_response();
}

// Test that failed sign-ins for "admin" from another address (127.0.0.2)
// never stop the admin signing in from their own address (127.0.0.1), while
// that other address is throttled for the username.
TEST_F(Console, OthersFailuresDoNotLockTheAdminOut) {
  for (int i = 0; i < 8; ++i) {
    auto r = sign_in_from(port(), "127.0.0.2", "admin", "guess " + std::to_string(i));
    ASSERT_TRUE(r);
    if (i < 6) {
      EXPECT_EQ(r->status, 401) << i << ": " << r->body;
    }
  }
  auto guesser = sign_in_from(port(), "127.0.0.2", "admin", admin_password());
  ASSERT_TRUE(guesser);
  EXPECT_EQ(guesser->status, 429) << guesser->body;
  auto own = sign_in_from(port(), "127.0.0.1", "admin", admin_password());
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
}

// Test login CSRF: the public routes take only Content-Type:
// application/json (a cross-site text/plain form posting JSON-looking text
// gets 415 and no cookie) and refuse a foreign Origin (403
// csrf_token_invalid); the same origin and no Origin at all are fine.
TEST_F(Console, PublicRoutesRefuseCrossSiteForms) {
  const std::string body = Json{{"username", "admin"}, {"password", admin_password()}}.dump();
  HttpResult form = post("/api/v1/console/sign-in", {"Content-Type: text/plain"}, body);
  EXPECT_EQ(form.status, 415) << form.body;
  EXPECT_EQ(json_of(form)["error"], "unsupported_media_type");
  EXPECT_EQ(form.header("set-cookie"), "");
  HttpResult untyped = post("/api/v1/console/sign-in", {}, body);
  EXPECT_EQ(untyped.status, 415) << untyped.body;
  HttpResult foreign =
      post("/api/v1/console/sign-in",
           {"Content-Type: application/json", "Origin: http://evil.example"}, body);
  EXPECT_EQ(foreign.status, 403) << foreign.body;
  EXPECT_EQ(json_of(foreign)["reason"], "csrf_token_invalid");
  EXPECT_EQ(foreign.header("set-cookie"), "");
  HttpResult null_origin =
      post("/api/v1/console/sign-in", {"Content-Type: application/json", "Origin: null"}, body);
  EXPECT_EQ(null_origin.status, 403) << null_origin.body;
  HttpResult same =
      post("/api/v1/console/sign-in",
           {"Content-Type: application/json; charset=utf-8", "Origin: " + server_->url()}, body);
  EXPECT_EQ(same.status, 200) << same.body;

  const std::string frank = create_user("frank", "human", true);
  HttpResult inv = post("/api/v1/users/" + frank + "/invitation", {bearer_header(admin_token())});
  ASSERT_EQ(inv.status, 201) << inv.body;
  const std::string url = json_of(inv)["invitation_url"];
  const std::string token = url.substr(url.find('#') + 1);
  const std::string accept = Json{{"token", token}, {"password", "frank's long password"}}.dump();
  EXPECT_EQ(post("/api/v1/console/invitations/inspect", {"Content-Type: text/plain"},
                 Json{{"token", token}}.dump())
                .status,
            415);
  EXPECT_EQ(post("/api/v1/console/invitations/accept", {"Content-Type: text/plain"}, accept).status,
            415);
  HttpResult cross =
      post("/api/v1/console/invitations/accept",
           {"Content-Type: application/json", "Origin: https://evil.example"}, accept);
  EXPECT_EQ(cross.status, 403) << cross.body;
  EXPECT_EQ(json_of(cross)["reason"], "csrf_token_invalid");
  // The refused calls did not use the invitation up.
  EXPECT_EQ(post("/api/v1/console/invitations/accept",
                 {"Content-Type: application/json", "Origin: " + server_->url()}, accept)
                .status,
            204);
}

// Test cookie tossing on http: of several latchkey_session cookies, the one
// that verifies wins whatever its place (a planted one sent first must not
// shadow the real session), its CSRF token is the one handed back, and
// none verifying is a 401.
TEST_F(Console, EverySessionCookieIsTried) {
  const Session s = sign_in_admin();
  const std::string value = s.cookie.substr(s.cookie.find('=') + 1);
  std::string planted = value;
  planted[10] = planted[10] == 'a' ? 'b' : 'a';  // same shape, another secret
  HttpResult r = get("/api/v1/console/session",
                     {"Cookie: latchkey_session=" + planted + "; theme=x; " + s.cookie});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["csrf_token"], s.csrf);
  HttpResult write = post("/api/v1/users",
                          {"Cookie: latchkey_session=garbage; " + s.cookie,
                           "Content-Type: application/json", "X-CSRF-Token: " + s.csrf},
                          Json{{"name", "made-behind-a-planted-cookie"}, {"type", "human"}}.dump());
  EXPECT_EQ(write.status, 201) << write.body;
  EXPECT_EQ(get("/api/v1/console/session",
                {"Cookie: latchkey_session=garbage; latchkey_session=" + planted})
                .status,
            401);
}

// Test that a failed sign-in records the name of an existing user, but not
// a name that is no user (it may be a password typed into the wrong field).
TEST_F(Console, FailedSignInRecordsOnlyExistingNames) {
  const std::string typed = "Tr0ub4dor&3-in-the-wrong-field";
  ASSERT_EQ(sign_in_raw(typed, "whatever it is").status, 401);
  ASSERT_EQ(sign_in_raw("admin", "a wrong password").status, 401);
  std::vector<std::string> credentials;
  for (const Json& e : audit_events("?limit=200")) {
    if (e["action"] == "console.sign_in") credentials.push_back(e["credential"]);
    EXPECT_EQ(e.dump().find(typed), std::string::npos) << e.dump();
  }
  EXPECT_NE(std::find(credentials.begin(), credentials.end(), "user admin"), credentials.end());
  EXPECT_NE(std::find(credentials.begin(), credentials.end(), "user (unknown)"), credentials.end());
}

// Test that sign-out ends the session on the server: the cookie is cleared
// and the old cookie is refused afterwards, on every route.
TEST_F(Console, SignOutEndsTheSessionServerSide) {
  const Session s = sign_in_admin();
  HttpResult without_csrf = post("/api/v1/console/sign-out", with(s, false));
  EXPECT_EQ(without_csrf.status, 403);
  HttpResult out = post("/api/v1/console/sign-out", with(s));
  ASSERT_EQ(out.status, 204) << out.body;
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  HttpResult session = get("/api/v1/console/session", with(s, false));
  EXPECT_EQ(session.status, 401);
  EXPECT_EQ(json_of(session)["reason"], "session_ended");
  EXPECT_EQ(get("/api/v1/users", with(s, false)).status, 401);
}

// Test that a session ends after 30 idle minutes but lives on while used.
TEST_F(Console, IdleSessionExpires) {
  const Session s = sign_in_admin();
  server_->advance_clock_seconds(29 * 60);
  ASSERT_EQ(get("/api/v1/console/session", with(s, false)).status, 200);
  server_->advance_clock_seconds(29 * 60);
  ASSERT_EQ(get("/api/v1/console/session", with(s, false)).status, 200);
  server_->advance_clock_seconds(30 * 60);
  HttpResult expired = get("/api/v1/console/session", with(s, false));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(json_of(expired)["reason"], "session_expired");
}

// Test listing and revoking sessions: the person sees their own, marked
// current; revoking another ends it; an admin lists and revokes anyone's.
TEST_F(Console, SessionsAreListedAndRevocable) {
  const Session first = sign_in_admin();
  const Session second = sign_in_admin();
  HttpResult listed = get("/api/v1/console/sessions", with(first, false));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const Json sessions = json_of(listed)["sessions"];
  ASSERT_EQ(sessions.size(), 2u);
  int current = 0;
  for (const Json& one : sessions) {
    if (one["current"] == true) {
      ++current;
      EXPECT_EQ(one["id"], first.id);
    }
    EXPECT_EQ(one["user_agent"], "console-tests");
    EXPECT_EQ(one["ip"], "127.0.0.1");
  }
  EXPECT_EQ(current, 1);
  HttpResult revoke_no_csrf =
      send("DELETE", "/api/v1/console/sessions/" + second.id, with(first, false));
  EXPECT_EQ(revoke_no_csrf.status, 403);
  HttpResult revoked = send("DELETE", "/api/v1/console/sessions/" + second.id, with(first));
  ASSERT_EQ(revoked.status, 204) << revoked.body;
  EXPECT_EQ(get("/api/v1/console/session", with(second, false)).status, 401);
  EXPECT_EQ(get("/api/v1/console/session", with(first, false)).status, 200);

  // A person sees only their own and cannot revoke the admin's.
  const std::string password = "dave's long password";
  const std::string dave = invited_person("dave", password);
  const Session d = sign_in("dave", password);
  HttpResult others = get("/api/v1/console/sessions?user_id=" + admin().user_id, with(d, false));
  EXPECT_EQ(others.status, 403);
  HttpResult not_his = send("DELETE", "/api/v1/console/sessions/" + first.id, with(d));
  EXPECT_EQ(not_his.status, 404);
  // The admin lists and revokes dave's.
  HttpResult daves = get("/api/v1/console/sessions?user_id=" + dave, with(first, false));
  ASSERT_EQ(daves.status, 200) << daves.body;
  ASSERT_EQ(json_of(daves)["sessions"].size(), 1u);
  EXPECT_EQ(send("DELETE", "/api/v1/console/sessions/" + d.id, with(first)).status, 204);
  EXPECT_EQ(get("/api/v1/console/session", with(d, false)).status, 401);
}

// Test the invitation end to end: the link, inspection, the password rules,
// one-time use; the invited person signs in with their own permissions (no
// ADMIN: the admin API refuses them); a service account gets no invitation.
TEST_F(Console, InvitationFlow) {
  const std::string erin = create_user("erin", "human", true);
  HttpResult inv = post("/api/v1/users/" + erin + "/invitation", {bearer_header(admin_token())});
  ASSERT_EQ(inv.status, 201) << inv.body;
  const std::string url = json_of(inv)["invitation_url"];
  EXPECT_TRUE(url.starts_with(server_->url() + "/console/invite#lk_inv_")) << url;
  EXPECT_TRUE(json_of(inv).contains("expires_at"));
  const std::string token = url.substr(url.find('#') + 1);
  const std::vector<std::string> json = {"Content-Type: application/json"};
  HttpResult inspected =
      post("/api/v1/console/invitations/inspect", json, Json{{"token", token}}.dump());
  ASSERT_EQ(inspected.status, 200) << inspected.body;
  EXPECT_EQ(json_of(inspected)["username"], "erin");
  HttpResult too_short = post("/api/v1/console/invitations/accept", json,
                              Json{{"token", token}, {"password", "elevenchars"}}.dump());
  EXPECT_EQ(too_short.status, 400) << too_short.body;
  EXPECT_EQ(json_of(too_short)["reason"], "password_too_short");
  EXPECT_EQ(too_short.body.find("elevenchars"), std::string::npos);
  HttpResult too_long = post("/api/v1/console/invitations/accept", json,
                             Json{{"token", token}, {"password", std::string(1025, 'x')}}.dump());
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(json_of(too_long)["reason"], "password_too_long");
  const std::string password = "twelve chars!";
  HttpResult accepted = post("/api/v1/console/invitations/accept", json,
                             Json{{"token", token}, {"password", password}}.dump());
  ASSERT_EQ(accepted.status, 204) << accepted.body;
  HttpResult twice = post("/api/v1/console/invitations/accept", json,
                          Json{{"token", token}, {"password", "another password"}}.dump());
  EXPECT_EQ(twice.status, 404);
  EXPECT_EQ(json_of(twice)["reason"], "invitation_invalid");
  HttpResult gone =
      post("/api/v1/console/invitations/inspect", json, Json{{"token", token}}.dump());
  EXPECT_EQ(gone.status, 404);

  const Session e = sign_in("erin", password);
  EXPECT_EQ(e.body["user"]["modules"], Json::array());
  EXPECT_EQ(get("/api/v1/users", with(e, false)).status, 403);
  EXPECT_EQ(get("/api/v1/users/me", with(e, false)).status, 200);

  const std::string robot = create_user("robot", "service", true);
  HttpResult for_robot =
      post("/api/v1/users/" + robot + "/invitation", {bearer_header(admin_token())});
  EXPECT_EQ(for_robot.status, 409) << for_robot.body;
  // Only an admin invites.
  HttpResult by_erin = post("/api/v1/users/" + robot + "/invitation", with(e));
  EXPECT_EQ(by_erin.status, 403);
}

// Test "Generate Access Key" (seed 000): the console issues the person's
// account token through the same service as POST /api/v1/account/token, so
// the previous token answers 401 superseded.
TEST_F(Console, AccessTokenSupersedesThePreviousOne) {
  const std::string old_token = issue_token(admin());
  ASSERT_EQ(me(old_token).status, 200);
  const Session s = sign_in_admin();
  EXPECT_EQ(post("/api/v1/console/access-token", with(s, false)).status, 403);
  HttpResult r = post("/api/v1/console/access-token", with(s));
  ASSERT_EQ(r.status, 200) << r.body;
  const Json body = json_of(r);
  EXPECT_EQ(body["token_type"], "bearer");
  EXPECT_EQ(body["scope"], "read write");
  EXPECT_GT(body["expires_in"].get<long long>(), 0);
  const std::string fresh = body["access_token"];
  EXPECT_EQ(me(fresh).status, 200);
  HttpResult old = me(old_token);
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(json_of(old)["reason"], "superseded");
  // A bearer token cannot ask for it: the console's session is required.
  HttpResult by_bearer = post("/api/v1/console/access-token", {bearer_header(fresh)});
  EXPECT_EQ(by_bearer.status, 401);
}

// Test the API explorer's token: a 300 s "read write" JWT that works on
// GET /api/v1/account/me and stops working when the session ends.
TEST_F(Console, ExplorerTokenEndsWithTheSession) {
  const Session s = sign_in_admin();
  HttpResult r = post("/api/v1/console/explorer-token", with(s));
  ASSERT_EQ(r.status, 200) << r.body;
  const Json body = json_of(r);
  EXPECT_EQ(body["expires_in"], 300);
  EXPECT_EQ(body["scope"], "read write");
  EXPECT_EQ(body["token_type"], "bearer");
  const std::string token = body["access_token"];
  HttpResult who = me(token);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json_of(who)["id"], admin().user_id);
  ASSERT_EQ(post("/api/v1/console/sign-out", with(s)).status, 204);
  HttpResult after = me(token);
  EXPECT_EQ(after.status, 401) << after.body;
}

// Test that the explorer token never outlives its session: near the
// session's absolute end (12 h, kept alive by use) it lives only until then,
// not 300 s (injected clock).
TEST_F(Console, ExplorerTokenEndsByTheSessionsExpiry) {
  const Session s = sign_in_admin();
  for (int i = 0; i < 28; ++i) {  // 28 x 25 min = 11 h 40 min, never idle
    server_->advance_clock_seconds(1500);
    ASSERT_EQ(get("/api/v1/console/session", with(s, false)).status, 200) << i;
  }
  server_->advance_clock_seconds(43200 - 28 * 1500 - 100);  // 100 s left
  HttpResult r = post("/api/v1/console/explorer-token", with(s));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_LE(json_of(r)["expires_in"].get<int>(), 100) << r.body;
  // The test clock runs with real time between advances: allow for a slow
  // (sanitizer, loaded) run, far from the 300 s an uncapped token would get.
  EXPECT_GE(json_of(r)["expires_in"].get<int>(), 80) << r.body;
  const std::string token = json_of(r)["access_token"];
  EXPECT_EQ(me(token).status, 200);
  server_->advance_clock_seconds(100);
  EXPECT_EQ(get("/api/v1/console/session", with(s, false)).status, 401);
  EXPECT_EQ(me(token).status, 401);
}

// Test that sessions and their explorer tokens survive a restart, and that
// signing out after it still ends the token minted before it.
TEST_F(Console, ExplorerTokenEndsWithTheSessionAcrossARestart) {
  const Session s = sign_in_admin();
  HttpResult r = post("/api/v1/console/explorer-token", with(s));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string token = json_of(r)["access_token"];
  server_->restart();
  ASSERT_EQ(get("/api/v1/console/session", with(s, false)).status, 200);
  ASSERT_EQ(me(token).status, 200);
  ASSERT_EQ(post("/api/v1/console/sign-out", with(s)).status, 204);
  EXPECT_EQ(me(token).status, 401);
}

// Test that disabling a person ends their console sessions at once (and
// enabling them again does not revive them).
TEST_F(Console, DisablingAPersonEndsTheirSessions) {
  const std::string password = "ivan's long password";
  const std::string ivan = invited_person("ivan", password);
  const Session s = sign_in("ivan", password);
  ASSERT_EQ(get("/api/v1/users/me", with(s, false)).status, 200);
  ASSERT_EQ(patch_user(ivan, R"({"disabled": true})").status, 200);
  HttpResult refused = get("/api/v1/users/me", with(s, false));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused)["reason"], "user_disabled");
  ASSERT_EQ(patch_user(ivan, R"({"disabled": false})").status, 200);
  EXPECT_EQ(get("/api/v1/users/me", with(s, false)).status, 401);
  EXPECT_EQ(sign_in_raw("ivan", password).status, 200);
}

// Test that the data plane never takes the cookie: /v1/authorize and
// /v1/auth-request answer 401 with only a session cookie.
TEST_F(Console, DataPlaneNeverTakesTheCookie) {
  const Session s = sign_in_admin();
  HttpResult authorize =
      post("/v1/authorize", with(s), R"({"application":"x","step":"y","action":"read"})");
  EXPECT_EQ(authorize.status, 401) << authorize.body;
  HttpResult nginx = get("/v1/auth-request", with(s));
  EXPECT_EQ(nginx.status, 401) << nginx.body;
  HttpResult exchange = post("/v2/auth/token/access", with(s), R"({"api_key":"lk_key_nothing"})");
  EXPECT_EQ(exchange.status, 401) << exchange.body;
}

// Test that sign-ins (failed and successful), sign-out, invitations and a
// console-driven call are audited, the latter with the person as principal
// and the session as credential.
TEST_F(Console, ConsoleActionsAreAudited) {
  ASSERT_EQ(sign_in_raw("admin", "a wrong password").status, 401);
  const Session s = sign_in_admin();
  ASSERT_EQ(get("/api/v1/users", with(s, false)).status, 200);
  ASSERT_EQ(post("/api/v1/console/sign-out", with(s)).status, 204);
  invited_person("frank", "frank's long password");
  std::map<std::string, std::vector<Json>> by_action;
  for (const Json& e : audit_events("?limit=200")) by_action[e["action"]].push_back(e);
  ASSERT_EQ(by_action["console.sign_in"].size(), 2u);
  int denied = 0;
  for (const Json& e : by_action["console.sign_in"]) {
    if (e["decision"] == "deny") {
      ++denied;
      EXPECT_EQ(e["reason"], "invalid_credentials");
    } else {
      EXPECT_EQ(e["principal_id"], admin().user_id);
      EXPECT_EQ(e["credential"], "session " + s.id);
    }
  }
  EXPECT_EQ(denied, 1);
  bool listed_by_session = false;
  for (const Json& e : by_action["user.list"]) {
    if (e["credential"] == "session " + s.id) {
      listed_by_session = true;
      EXPECT_EQ(e["principal_id"], admin().user_id);
    }
  }
  EXPECT_TRUE(listed_by_session);
  ASSERT_EQ(by_action["console.sign_out"].size(), 1u);
  EXPECT_EQ(by_action["console.sign_out"][0]["credential"], "session " + s.id);
  EXPECT_EQ(by_action["console.invitation.create"].size(), 1u);
  EXPECT_EQ(by_action["console.invitation.accept"].size(), 1u);
}

// Behind a TLS-terminating proxy (public_url https://...): the cookie is
// Secure, invitation links use the public URL, and an Origin naming it is
// the server's own.
class ConsoleBehindHttps : public Console {
 protected:
  std::vector<std::string> server_args() override {
    return {"--public-url", "https://console.example"};
  }
};

// Test the Secure flag, the invitation link's base and the public origin.
TEST_F(ConsoleBehindHttps, CookieIsSecureAndPublicOriginAccepted) {
  HttpResult r = sign_in_raw("admin", admin_password());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("set-cookie").find("; Secure"), std::string::npos) << r.header("set-cookie");
  EXPECT_TRUE(r.header("set-cookie").starts_with("__Host-latchkey_session=lk_cs_"))
      << r.header("set-cookie");
  EXPECT_EQ(r.header("set-cookie").find("Domain"), std::string::npos) << r.header("set-cookie");
  Session s;
  s.cookie = r.header("set-cookie").substr(0, r.header("set-cookie").find(';'));
  s.csrf = json_of(r)["csrf_token"];
  std::vector<std::string> from_public = with(s);
  from_public.push_back("Origin: https://console.example");
  const std::string id = create_user("grace", "human", false);
  HttpResult inv = post("/api/v1/users/" + id + "/invitation", from_public);
  ASSERT_EQ(inv.status, 201) << inv.body;
  EXPECT_TRUE(json_of(inv)["invitation_url"].get<std::string>().starts_with(
      "https://console.example/console/invite#lk_inv_"));
  std::vector<std::string> other_scheme = with(s);
  other_scheme.push_back("Origin: http://console.example:8443");
  EXPECT_EQ(post("/api/v1/users/" + id + "/invitation", other_scheme).status, 403);
}

// Test cookie tossing on https: only the "__Host-" cookie is read (a plain
// latchkey_session, which a sibling subdomain could plant, is ignored even
// when it holds a valid session), and a planted __Host- value sent first
// does not shadow the real one.
TEST_F(ConsoleBehindHttps, OnlyTheHostPrefixedCookieCounts) {
  HttpResult r = sign_in_raw("admin", admin_password());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string pair = r.header("set-cookie").substr(0, r.header("set-cookie").find(';'));
  const std::string value = pair.substr(pair.find('=') + 1);
  EXPECT_EQ(get("/api/v1/console/session", {"Cookie: latchkey_session=" + value}).status, 401);
  HttpResult both =
      get("/api/v1/console/session", {"Cookie: __Host-latchkey_session=lk_cs_planted; " + pair});
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(json_of(both)["csrf_token"], json_of(r)["csrf_token"]);
}

// With the store's writes failing (fault injection, docs/security/faults.md):
// a sign-in that cannot be stored answers 503 and sets no cookie; a
// sign-out that cannot be stored answers 503 (the session is not claimed
// ended); an invitation that cannot be accepted stays usable.
class ConsoleUnderFaults : public Console {
 protected:
  std::vector<std::string> server_args() override { return {"--insecure-test-faults"}; }

  void arm(int nth, const std::string& mode) {
    HttpResult r =
        post("/_test/faults", {"Content-Type: application/json"},
             Json{{"fail_write", nth}, {"mode", mode}, {"point", "before_write"}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
};

// Test that failed writes never pass and never lose a secret.
TEST_F(ConsoleUnderFaults, FailedWritesAnswer503) {
  const Session s = sign_in_admin();
  const std::string id = create_user("heidi", "human", false);
  HttpResult inv = post("/api/v1/users/" + id + "/invitation", with(s));
  ASSERT_EQ(inv.status, 201) << inv.body;
  const std::string url = json_of(inv)["invitation_url"];
  const std::string token = url.substr(url.find('#') + 1);

  arm(1, "forever");
  HttpResult refused = sign_in_raw("admin", admin_password());
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.header("set-cookie"), "");
  HttpResult out = post("/api/v1/console/sign-out", with(s));
  EXPECT_EQ(out.status, 503) << out.body;
  HttpResult accept = post("/api/v1/console/invitations/accept", {"Content-Type: application/json"},
                           Json{{"token", token}, {"password", "heidi's long password"}}.dump());
  EXPECT_EQ(accept.status, 503) << accept.body;

  arm(0, "once");  // disarmed
  EXPECT_EQ(get("/api/v1/console/session", with(s, false)).status, 200);
  HttpResult accepted =
      post("/api/v1/console/invitations/accept", {"Content-Type: application/json"},
           Json{{"token", token}, {"password", "heidi's long password"}}.dump());
  EXPECT_EQ(accepted.status, 204) << accepted.body;
  EXPECT_EQ(sign_in_raw("heidi", "heidi's long password").status, 200);
}

}  // namespace
}  // namespace latchkey::testing
