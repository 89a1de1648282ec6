// Bad input from clients: each answered with a 4xx and a JSON error, never a
// crash and never a 500.
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "core/secret.h"
#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

class MalformedInput : public ServerTest {};

struct HeaderCase {
  const char* name;
  std::string header;  // empty: no Authorization header
};

// Test that every malformed Basic header gets 401 invalid_client with a Basic challenge.
TEST_F(MalformedInput, BadBasicHeadersAreInvalidClient) {
  const std::string id = admin().client_id;
  const std::string secret = admin().client_secret;
  OsRandom random;
  const std::string other_secret = generate_secret(SecretKind::kClientSecret, random);
  std::string typo = secret;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  const std::vector<HeaderCase> cases = {
      {"missing", ""},
      {"bearer scheme", "Authorization: Bearer abc"},
      {"scheme only", "Authorization: Basic"},
      {"not base64", "Authorization: Basic !!!notbase64!!!"},
      {"bad padding", "Authorization: Basic YWJj="},
      {"no colon", "Authorization: Basic " + base64_encode("nocolonhere")},
      {"empty id", "Authorization: Basic " + base64_encode(":" + secret)},
      {"empty secret", "Authorization: Basic " + base64_encode(id + ":")},
      {"oversized", "Authorization: Basic " + std::string(3000, 'A')},
      {"binary garbage", "Authorization: Basic " + base64_encode(std::string("\x00\xff:\x01", 4))},
      {"unknown client", basic_header("cli_doesnotexist000000", other_secret)},
      {"wrong secret", basic_header(id, other_secret)},
      {"typo in secret", basic_header(id, typo)},
  };
  for (const auto& c : cases) {
    std::vector<std::string> headers;
    if (!c.header.empty()) headers.push_back(c.header);
    HttpResult r = post("/api/v1/account/token", headers);
    EXPECT_EQ(r.status, 401) << c.name;
    EXPECT_EQ(json_of(r)["error"], "invalid_client") << c.name;
    EXPECT_FALSE(json_of(r)["error_description"].get<std::string>().empty()) << c.name;
    EXPECT_EQ(r.header("www-authenticate").rfind("Basic", 0), 0u) << c.name;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << c.name;
  }
  // Unknown client and wrong secret read the same: client ids cannot be probed.
  EXPECT_EQ(json_of(post("/api/v1/account/token", {cases[10].header}))["error_description"],
            json_of(post("/api/v1/account/token", {cases[11].header}))["error_description"]);
}

// Test that every malformed bearer header gets 401 with the reason.
TEST_F(MalformedInput, BadBearerHeadersSayWhy) {
  const std::string token = issue_token(admin());
  std::string typo = token;
  typo[12] = typo[12] == 'a' ? 'b' : 'a';
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Authorization: Bearer", "malformed"},
      {"Authorization: Bearer    ", "malformed"},
      {"Authorization: Token " + token, "malformed"},
      {"Authorization: Bearer not-a-token", "malformed"},
      {"Authorization: Bearer " + typo, "malformed"},
      {"Authorization: Bearer lk_at_" + std::string(49, 'x'), "malformed"},
      {"Authorization: Bearer " + std::string(5000, 'a'), "malformed"},
  };
  for (const auto& [header, reason] : cases) {
    HttpResult r = get("/api/v1/account/me", {header});
    EXPECT_EQ(r.status, 401) << header.substr(0, 60);
    EXPECT_EQ(json_of(r)["error"], "invalid_token") << header.substr(0, 60);
    EXPECT_EQ(json_of(r)["reason"], reason) << header.substr(0, 60);
  }
}

// Test that a well-formed token that was never issued is `unknown`.
TEST_F(MalformedInput, UnknownWellFormedToken) {
  // A real token from a different server has a valid checksum but is unknown here.
  LatchkeydProcess other;
  HttpClient client;
  HttpResult r = client.send("POST", other.url() + "/api/v1/account/token",
                             {basic_header(other.admin().client_id, other.admin().client_secret)});
  ASSERT_EQ(r.status, 200);
  HttpResult refused = me(json_of(r)["access_token"]);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json_of(refused)["reason"], "unknown");
}

// Test that malformed JSON bodies get 400 with a JSON error.
TEST_F(MalformedInput, BadJsonBodiesAre400) {
  const std::vector<std::string> bodies = {
      "",
      "not json",
      "[]",
      "\"string\"",
      "{\"name\": 5, \"type\": \"service\"}",
      "{\"type\": \"service\"}",
      "{\"name\": \"x\"}",
      "{\"name\": \"x\", \"type\": \"robot\"}",
      "{\"name\": \"x\", \"type\": \"service\", \"api_acess\": true}",
      "{\"name\": \"x\", \"type\": \"service\", \"api_access\": \"yes\"}",
      "{\"name\": \"" + std::string(200, 'n') + "\", \"type\": \"service\"}",
      "{\"name\": \"a\\u0001b\", \"type\": \"service\"}",
      "{\"name\": \"   \", \"type\": \"service\"}",
      "{\"name\": \"x\", \"type\": \"service\"",
      "{\"name\": \"\\xff\\xfe\", \"type\": \"service\"}",
  };
  for (const auto& body : bodies) {
    HttpResult r = post("/api/v1/users",
                        {bearer_header(admin_token()), "Content-Type: application/json"}, body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 80) << " -> " << r.body;
    EXPECT_EQ(json_of(r)["error"], "invalid_request") << body.substr(0, 80);
  }
  HttpResult patch = patch_user(admin().user_id, "{}");
  EXPECT_EQ(patch.status, 400);
  EXPECT_EQ(patch_user(admin().user_id, R"({"disabled": "no"})").status, 400);
}

// Test that unknown paths and methods answer JSON 404/405.
TEST_F(MalformedInput, UnknownRoutes) {
  HttpResult r = get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json_of(r)["error"], "not_found");
  HttpResult m = send("PUT", "/api/v1/account/token");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(json_of(m)["error"], "method_not_allowed");
  EXPECT_NE(m.header("allow").find("POST"), std::string::npos);
  EXPECT_EQ(patch_user("usr_nobody", R"({"disabled": true})").status, 404);
}

}  // namespace
}  // namespace latchkey::testing
