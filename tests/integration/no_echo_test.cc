// No response echoes a client-supplied value that looks like a secret
// (issue 13 item 5; docs/security/echo-and-timing.md).
//
// Secret-shaped values (a latchkey client secret, an API key, a JWT, and a
// 40-character mixed-case key of another service) are
// planted everywhere a client can put them: unknown JSON field names and
// values, the values of known fields, unknown and known query parameters,
// path parameters, form fields, Basic and Bearer credentials, User-Agent,
// X-Integration, X-Request-Id and nginx's X-Original-URI, on every route of
// the served OpenAPI document. No response body or header may contain one.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/encoding.h"
#include "core/random.h"
#include "core/secret.h"
#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

// A made-up JWT: a real-looking header and payload and a random signature,
// assembled so that secret scanners do not flag this file.
std::string base64url(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string planted_jwt(Random& random) {
  const std::string header = base64url(R"({"alg":"ES256","typ":"JWT","kid":"noecho"})");
  const std::string payload = base64url(R"({"sub":"usr_noecho","exp":4102444800})");
  return header + "." + payload + "." + random_base62(random, 86);
}

struct Planted {
  std::string what;
  std::string value;
};

std::vector<Planted> planted_values() {
  OsRandom random;
  return {{"client secret", generate_secret(SecretKind::kClientSecret, random)},
          {"API key", generate_secret(SecretKind::kApiKey, random)},
          {"JWT", planted_jwt(random)},
          // Another service's key: only the high-entropy rule knows it.
          {"generic key", "Gk9" + random_base62(random, 37)}};
}

struct Operation {
  std::string method;
  std::string path;  // the OpenAPI template, "{id}" and all
  Json request_properties = Json::object();
  std::string body_type;  // "json", "form" or ""
  std::vector<std::string> query;
};

class NoEcho : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    // Thousands of failed authentications from one address: no throttle here.
    return {"--auth-throttle-client-failures", "1000000", "--auth-throttle-ip-failures", "1000000"};
  }

  Json resolve(const Json& schema) {
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      const std::string name = ref.substr(ref.rfind('/') + 1);
      return resolve(openapi_["components"]["schemas"][name]);
    }
    return schema;
  }

  // Every operation of the OpenAPI document the server serves.
  std::vector<Operation> operations() {
    HttpResult doc = get("/openapi.json");
    EXPECT_EQ(doc.status, 200);
    openapi_ = json_of(doc);
    std::vector<Operation> out;
    for (const auto& [path, item] : openapi_["paths"].items()) {
      for (const auto& [method, op] : item.items()) {
        if (method != "get" && method != "post" && method != "put" && method != "patch" &&
            method != "delete") {
          continue;
        }
        Operation o;
        o.path = path;
        for (char c : method) o.method.push_back(static_cast<char>(std::toupper(c)));
        if (op.contains("requestBody")) {
          for (const auto& [type, content] : op["requestBody"]["content"].items()) {
            o.body_type = type == "application/json" ? "json" : "form";
            o.request_properties = resolve(content["schema"]).value("properties", Json::object());
          }
        }
        for (const Json& p : op.value("parameters", Json::array())) {
          const Json param = resolve(p);
          if (param.value("in", "") == "query") o.query.push_back(param["name"]);
        }
        out.push_back(std::move(o));
      }
    }
    return out;
  }

  static std::string with_params(std::string path, const std::string& value) {
    for (std::size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      path.replace(open, path.find('}', open) - open + 1, value);
    }
    return path;
  }

  // A body of the operation's known fields: strings, arrays and maps hold
  // the planted value; names are ordinary (a stored name is shown back, as
  // it should be).
  std::string known_fields_body(const Operation& o, const std::string& planted) {
    if (o.body_type == "form") {
      std::string form;
      for (const auto& [name, schema] : o.request_properties.items()) {
        if (!form.empty()) form += "&";
        form += name + "=" + planted;
      }
      return form;
    }
    Json body = Json::object();
    for (const auto& [name, raw] : o.request_properties.items()) {
      const Json schema = resolve(raw);
      const Json type = schema.value("type", Json("string"));
      const std::string t = type.is_array() ? type[0].get<std::string>() : type.get<std::string>();
      if (name == "name") {
        body[name] = "noecho-" + std::to_string(++counter_);
      } else if (t == "boolean") {
        body[name] = false;
      } else if (t == "integer" || t == "number") {
        body[name] = 30;
      } else if (t == "array") {
        body[name] = Json::array({planted});
      } else if (t == "object") {
        body[name] = Json{{planted, planted}};
      } else {
        body[name] = planted;
      }
    }
    return body.dump();
  }

  void expect_not_echoed(const std::string& where, const HttpResult& r, const Planted& p) {
    ASSERT_NE(r.status, 0) << where << ": " << r.error;
    ++requests_;
    EXPECT_LT(r.status, 500) << where << ": " << r.body;
    EXPECT_EQ(r.body.find(p.value), std::string::npos)
        << where << " echoes the planted " << p.what << " in its body: " << r.body;
    for (const auto& [name, value] : r.headers) {
      EXPECT_EQ(value.find(p.value), std::string::npos)
          << where << " echoes the planted " << p.what << " in header " << name << ": " << value;
    }
  }

  Json openapi_;
  int counter_ = 0;
  int requests_ = 0;
};

// Test that no route of the OpenAPI document echoes a planted secret-shaped
// value, wherever in the request it is planted.
TEST_F(NoEcho, NoRouteEchoesAPlantedSecret) {
  const std::vector<Operation> ops = operations();
  ASSERT_GE(ops.size(), 50u) << "the OpenAPI document lists every route";
  const Credentials a = admin();
  for (const Planted& p : planted_values()) {
    const std::vector<std::string> planted_headers = {
        "User-Agent: " + p.value, "X-Integration: " + p.value, "X-Request-Id: " + p.value,
        "X-Original-Method: GET", "X-Original-URI: /" + p.value + "?q=" + p.value};
    for (const Operation& o : ops) {
      const std::string path = with_params(o.path, p.value);
      const std::string where = o.method + " " + o.path + " (" + p.what + ")";
      auto run = [&](const std::string& variant, std::vector<std::string> headers,
                     const std::string& target, const std::string& body) {
        for (const std::string& h : planted_headers) headers.push_back(h);
        HttpResult r = send(o.method, target, headers, body);
        expect_not_echoed(where + " " + variant, r, p);
        // Issuing or revoking ends the admin's token: take a new one.
        if (o.path == "/api/v1/account/token") admin_token_.clear();
      };
      const std::string json = "Content-Type: application/json";
      const std::string form = "Content-Type: application/x-www-form-urlencoded";
      const std::string type = o.body_type == "form" ? form : json;
      // 1. An unknown field (name and value) and an unknown query parameter.
      const std::string unknown_body = o.body_type == "form"
                                           ? p.value + "=" + p.value + "&grant_type=" + p.value
                                           : Json{{p.value, p.value}}.dump();
      run("unknown field and parameter", {bearer_header(admin_token()), type},
          path + "?" + p.value + "=" + p.value, unknown_body);
      // 2. Known fields and known query parameters holding the planted value.
      std::string known_query;
      for (const std::string& q : o.query)
        known_query += (known_query.empty() ? "?" : "&") + q + "=" + p.value;
      run("known fields", {bearer_header(admin_token()), type}, path + known_query,
          known_fields_body(o, p.value));
      // 3. The same, authenticated as the admin's client (Basic).
      run("known fields, Basic", {basic_header(a.client_id, a.client_secret), type},
          path + known_query, known_fields_body(o, p.value));
      // 4. The planted value as the Basic username, the password, the bearer token.
      run("Basic username", {basic_header(p.value, a.client_secret), type}, path, "");
      run("Basic password", {basic_header(a.client_id, p.value), type}, path, "");
      run("Bearer", {bearer_header(p.value), type}, path, known_fields_body(o, p.value));
      if (o.body_type == "form") {
        // 5. OAuth: a real client, planted grant type, scope and token.
        run("form, real client", {form}, path,
            "client_id=" + a.client_id + "&client_secret=" + a.client_secret +
                "&grant_type=client_credentials&scope=" + p.value + "&token=" + p.value);
        run("form, planted grant type", {basic_header(a.client_id, a.client_secret), form}, path,
            "grant_type=" + p.value + "&scope=read%20" + p.value);
        run("form, repeated parameter", {basic_header(a.client_id, a.client_secret), form}, path,
            "grant_type=client_credentials&" + p.value + "=1&" + p.value + "=2");
      }
    }
    // What the trail kept of all this is shown to administrators.
    for (const std::string& report :
         {std::string("/api/v1/audit?limit=1000"), std::string("/api/v1/audit/export"),
          "/api/v1/users/" + a.user_id + "/dependents",
          std::string("/api/v1/reports/least-privilege")}) {
      HttpResult r = get(report, {bearer_header(admin_token())});
      EXPECT_EQ(r.status, 200) << report << ": " << r.body;
      expect_not_echoed(report, r, p);
    }
  }
  EXPECT_GT(requests_, 1400);
}

// Test that a client's misplaced secret in a JSON body's field name is not
// echoed while an ordinary typo still is (the message stays useful).
TEST_F(NoEcho, UnknownFieldNamesAreQuotedOnlyWhenHarmless) {
  const std::string secret = planted_values()[0].value;
  const std::vector<std::string> headers = {bearer_header(admin_token()),
                                            "Content-Type: application/json"};
  HttpResult typo =
      post("/api/v1/users", headers, R"({"name":"x","type":"service","api_acess":1})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_EQ(json_of(typo)["error_description"], "unknown field \"api_acess\"");
  HttpResult misplaced = post("/api/v1/users", headers, Json{{secret, 1}}.dump());
  EXPECT_EQ(misplaced.status, 400);
  EXPECT_EQ(json_of(misplaced)["error_description"], "unknown field");
  HttpResult query = get("/api/v1/audit?" + secret + "=1", {bearer_header(admin_token())});
  EXPECT_EQ(query.status, 400);
  EXPECT_EQ(query.body.find(secret), std::string::npos);
  EXPECT_NE(json_of(query)["error_description"].get<std::string>().find("known: principal"),
            std::string::npos)
      << query.body;
}

// Test that the superseded-by User-Agent shown to the holder of the old
// token is cut short and loses secret-shaped runs and control characters.
TEST_F(NoEcho, SupersededByUserAgentIsSanitised) {
  const Credentials user = create_user_with_credentials("svc-ua", "service", true);
  const std::string old_token = issue_token(user, "first-tool/1.0");
  const std::string jwt = planted_values()[2].value;
  // A tab, a right-to-left override and a C1 control: legal header bytes
  // that would garble or disguise the text where it is shown.
  const std::string user_agent = "evil/1.0\t\xE2\x80\xAE\xC2\x9B[2J " + jwt + " " +
                                 std::string(300, 'x') + " " + user.client_secret;
  issue_token(user, user_agent);
  HttpResult r = me(old_token);
  ASSERT_EQ(r.status, 401) << r.body;
  const Json body = json_of(r);
  EXPECT_EQ(body["reason"], "superseded");
  const std::string shown = body["superseded_by_user_agent"];
  EXPECT_EQ(shown.rfind("evil/1.0[2J [redacted] xxx", 0), 0u) << shown;
  EXPECT_LE(shown.size(), 128u);
  EXPECT_TRUE(shown.ends_with("...")) << shown;
  for (const std::string& secret : {jwt, user.client_secret}) {
    EXPECT_EQ(r.body.find(secret), std::string::npos) << r.body;
    EXPECT_EQ(r.header("www-authenticate").find(secret), std::string::npos);
  }
  EXPECT_NE(body["error_description"].get<std::string>().find("(evil/1.0[2J [redacted] xxx"),
            std::string::npos)
      << body["error_description"];
}

// Test that the web console's secrets never reach the server's output or
// the audit trail: wrong and right passwords, the session cookie, its CSRF
// token, an invitation token and the password set through it.
TEST_F(NoEcho, ConsoleSecretsAreNeverLoggedOrAudited) {
  std::ifstream in(server_->data_dir() + "/bootstrap.json");
  std::stringstream text;
  text << in.rdbuf();
  const std::string admin_password = Json::parse(text.str()).value("password", "");
  ASSERT_FALSE(admin_password.empty());
  const std::string json = "Content-Type: application/json";
  const std::string wrong_password = "Wr0ngPassw0rdNobodyUses";
  HttpResult wrong = post("/api/v1/console/sign-in", {json},
                          Json{{"username", "admin"}, {"password", wrong_password}}.dump());
  ASSERT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body.find(wrong_password), std::string::npos);
  HttpResult ok = post("/api/v1/console/sign-in", {json},
                       Json{{"username", "admin"}, {"password", admin_password}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body.find(admin_password), std::string::npos);
  const std::string set_cookie = ok.header("set-cookie");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string cookie_secret = cookie.substr(cookie.find('=') + 1);
  const std::string csrf = json_of(ok).value("csrf_token", "");
  const std::vector<std::string> session = {"Cookie: " + cookie, "X-CSRF-Token: " + csrf, json};
  HttpResult created =
      post("/api/v1/users", session, Json{{"name", "noecho-person"}, {"type", "human"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult invitation =
      post("/api/v1/users/" + json_of(created).value("id", "") + "/invitation", session);
  ASSERT_EQ(invitation.status, 201) << invitation.body;
  const std::string url = json_of(invitation).value("invitation_url", "");
  const std::string invitation_token = url.substr(url.find('#') + 1);
  const std::string person_password = "P3rsonPasswordNobodyUses";
  ASSERT_EQ(post("/api/v1/console/invitations/accept", {json},
                 Json{{"token", invitation_token}, {"password", person_password}}.dump())
                .status,
            204);
  ASSERT_EQ(post("/api/v1/console/sign-in", {json},
                 Json{{"username", "noecho-person"}, {"password", person_password}}.dump())
                .status,
            200);
  ASSERT_EQ(post("/api/v1/console/sign-out", session).status, 204);

  HttpResult audit = get("/api/v1/audit?limit=500", {bearer_header(admin_token())});
  ASSERT_EQ(audit.status, 200);
  HttpResult metrics = get("/metrics");
  const std::string output = server_->output();
  const std::vector<std::pair<std::string, std::string>> secrets = {
      {"wrong password", wrong_password},     {"admin password", admin_password},
      {"cookie secret", cookie_secret},       {"CSRF token", csrf},
      {"invitation token", invitation_token}, {"person's password", person_password}};
  for (const auto& [what, value] : secrets) {
    EXPECT_EQ(audit.body.find(value), std::string::npos) << what << " in the audit trail";
    EXPECT_EQ(metrics.body.find(value), std::string::npos) << what << " in /metrics";
    // The admin's password is shown once at the first start (its banner);
    // nothing else ever prints any of these.
    const std::size_t first = output.find(value);
    if (what == "admin password" && first != std::string::npos) {
      EXPECT_EQ(output.find(value, first + 1), std::string::npos) << what << " printed twice";
    } else {
      EXPECT_EQ(first, std::string::npos) << what << " in the server's output";
    }
  }
}

}  // namespace
}  // namespace latchkey::testing
