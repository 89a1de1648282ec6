// The per-API-key rate limit and the credential-stuffing throttle against a
// real latchkeyd (issue 5 items 2 and 4, seed 004; docs/rate-limits.md):
// key-derived tokens counted on the decision API and the account
// endpoints, shared across tokens and connections, independent per key,
// account tokens not limited, per-key overrides (durable) and per-role
// limits from the configuration, 429 with Retry-After and RateLimit-*.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";

struct CreatedKey {
  std::string api_key;
  std::string id;
};

class RateLimit : public ServerTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-ratelimit-config-XXXXXX";
    config_dir_ = mkdtemp(tmpl);
    config_path_ = config_dir_ + "/latchkey.toml";
    write_config("");
    ServerTest::SetUp();
    owner_ = create_user_with_credentials("rate-owner", "service", true);
    owner_token_ = issue_token(owner_);
    key_ = create_key("ci");
  }
  void TearDown() override { std::filesystem::remove_all(config_dir_); }
  std::vector<std::string> server_args() override { return {"--config=" + config_path_}; }

  void write_config(const std::string& text) { std::ofstream(config_path_) << text; }

  CreatedKey create_key(const std::string& name, const std::string& role = "") {
    Json body = {{"name", name}, {"expires_in_days", 30}};
    if (!role.empty()) body["role"] = role;
    HttpResult created = post("/api/v1/keys", {bearer_header(owner_token_), kJson}, body.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    const Json key = json_of(created);
    return {key.value("api_key", ""), key.value("id", "")};
  }
  // POST /v2/auth/token/access: counts against the key.
  std::string access_token(const CreatedKey& key) {
    HttpResult r = post("/v2/auth/token/access", {kJson}, Json{{"api_key", key.api_key}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }
  std::string login_token(const CreatedKey& key, const std::string& session) {
    HttpResult r = post("/auth/login", {kJson},
                        Json{{"api_key", key.api_key}, {"session_id", session}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r).value("access_token", "");
  }
  HttpResult authorize(const std::string& token, HttpClient* client = nullptr) {
    const std::string body = R"({"action": "read_records", "module": "RECORDS"})";
    if (client != nullptr) {
      return client->send("POST", server_->url() + "/v1/authorize", {bearer_header(token), kJson},
                          body);
    }
    return post("/v1/authorize", {bearer_header(token), kJson}, body);
  }
  HttpResult put_limits(const std::string& token, const std::string& key_id,
                        const std::string& body) {
    return send("PUT", "/api/v1/keys/" + key_id + "/limits", {bearer_header(token), kJson}, body);
  }

  std::string config_dir_;
  std::string config_path_;
  Credentials owner_;
  std::string owner_token_;
  CreatedKey key_;
};

// Test seed 004's limit on the decision API: with the exchange counted, 59
// more calls of a key-derived JWT are admitted (each with RateLimit-*
// headers counting down), the next gets 429 rate_limited with Retry-After
// and RateLimit-*; 60 s later on the test clock it is admitted again.
TEST_F(RateLimit, SixtyPerMinuteOnAuthorize) {
  const std::string token = access_token(key_);  // 1 of 60
  for (int i = 0; i < 59; ++i) {
    HttpResult r = authorize(token);
    ASSERT_NE(r.status, 429) << i << ": " << r.body;
    EXPECT_EQ(r.header("ratelimit-limit"), "60");
    EXPECT_EQ(r.header("ratelimit-remaining"), std::to_string(58 - i));
    EXPECT_NE(r.header("ratelimit-reset"), "");
  }
  HttpResult refused = authorize(token);
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(json_of(refused)["error"], "rate_limited");
  EXPECT_TRUE(json_of(refused).contains("error_description"));
  const int retry_after = std::stoi(refused.header("retry-after"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(refused.header("ratelimit-limit"), "60");
  EXPECT_EQ(refused.header("ratelimit-remaining"), "0");
  EXPECT_EQ(refused.header("ratelimit-reset"), refused.header("retry-after"));
  // Other bearer endpoints count too: /me is refused as well.
  EXPECT_EQ(me(token).status, 429);

  server_->advance_clock_seconds(60);
  HttpResult again = authorize(token);
  EXPECT_NE(again.status, 429) << again.body;
  EXPECT_EQ(again.header("ratelimit-limit"), "60");
  HttpResult who = me(token);
  EXPECT_EQ(who.status, 200) << who.body;
  EXPECT_NE(who.header("ratelimit-remaining"), "");
}

// Test that two tokens of one key (access + login), used over many
// connections, share one count, and that another key of the same owner is
// counted separately.
TEST_F(RateLimit, TokensOfOneKeyShareTheCountAcrossConnections) {
  const std::string access = access_token(key_);          // 1
  const std::string login = login_token(key_, "worker");  // 2
  std::vector<std::unique_ptr<HttpClient>> connections;
  for (int i = 0; i < 6; ++i) connections.push_back(std::make_unique<HttpClient>());
  int admitted = 0;
  for (int i = 0; i < 80; ++i) {
    HttpResult r = authorize(i % 2 == 0 ? access : login, connections[i % 6].get());
    ASSERT_NE(r.status, 0) << r.error;
    if (r.status != 429) ++admitted;
  }
  EXPECT_EQ(admitted, 58);
  // The exchange itself is refused now, too.
  HttpResult exchange =
      post("/v2/auth/token/access", {kJson}, Json{{"api_key", key_.api_key}}.dump());
  EXPECT_EQ(exchange.status, 429) << exchange.body;
  EXPECT_EQ(json_of(exchange)["error"], "rate_limited");

  const CreatedKey other = create_key("other");
  const std::string other_token = access_token(other);
  HttpResult r = authorize(other_token);
  EXPECT_NE(r.status, 429) << r.body;
  EXPECT_EQ(r.header("ratelimit-remaining"), "58");
}

// Test that account tokens (seed 000, not key-derived) are not limited per
// key and get no RateLimit-* headers.
TEST_F(RateLimit, AccountTokensAreNotLimited) {
  for (int i = 0; i < 100; ++i) {
    HttpResult r = me(owner_token_);
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(r.header("ratelimit-limit"), "");
  }
  for (int i = 0; i < 70; ++i) ASSERT_NE(authorize(owner_token_).status, 429);
}

// Test the admin's per-key override: refused for non-admins (and bad
// values), shown in the key listing, effective at once, and still in force
// after a restart; null clears it.
TEST_F(RateLimit, PerKeyOverrideIsAdminOnlyEffectiveAndDurable) {
  EXPECT_EQ(put_limits(owner_token_, key_.id, R"({"requests_per_minute": 3})").status, 403);
  const std::string key_jwt = access_token(key_);  // 1 of 60
  EXPECT_EQ(put_limits(key_jwt, key_.id, R"({"requests_per_minute": 3})").status, 403);
  EXPECT_EQ(put_limits(admin_token(), key_.id, R"({"requests_per_minute": -1})").status, 400);
  EXPECT_EQ(put_limits(admin_token(), key_.id, R"({"requests_per_minute": "3"})").status, 400);
  EXPECT_EQ(put_limits(admin_token(), key_.id, R"({"rate": 3})").status, 400);
  EXPECT_EQ(put_limits(admin_token(), "key_doesnotexist", R"({"requests_per_minute": 3})").status,
            404);

  HttpResult set = put_limits(admin_token(), key_.id, R"({"requests_per_minute": 4})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json_of(set)["limits"]["requests_per_minute"], 4);
  EXPECT_TRUE(json_of(set)["limits"]["concurrent_per_route"].is_null());
  EXPECT_EQ(json_of(set)["effective_limits"]["requests_per_minute"], 4);
  EXPECT_EQ(json_of(set)["effective_limits"]["concurrent_per_route"], 5);
  HttpResult listed = get("/api/v1/keys", {bearer_header(owner_token_)});
  ASSERT_EQ(listed.status, 200);
  bool found = false;
  const Json listing = json_of(listed);
  for (const Json& k : listing["keys"]) {
    if (k["id"] != key_.id) continue;
    found = true;
    EXPECT_EQ(k["limits"]["requests_per_minute"], 4);
    EXPECT_EQ(k["effective_limits"]["requests_per_minute"], 4);
  }
  EXPECT_TRUE(found) << listed.body;

  // A fresh window (the exchange and the refused PUT above counted): 4
  // admitted, then refused with the key's own limit.
  server_->advance_clock_seconds(60);
  for (int i = 0; i < 4; ++i) ASSERT_NE(authorize(key_jwt).status, 429) << i;
  HttpResult refused = authorize(key_jwt);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("ratelimit-limit"), "4");

  server_->restart();                                // counts are forgotten, the override is not
  const std::string fresh_jwt = access_token(key_);  // 1 of 4
  for (int i = 0; i < 3; ++i) {
    HttpResult r = authorize(fresh_jwt);
    ASSERT_NE(r.status, 429) << i;
    EXPECT_EQ(r.header("ratelimit-limit"), "4");
  }
  EXPECT_EQ(authorize(fresh_jwt).status, 429);

  HttpResult cleared = put_limits(admin_token(), key_.id, R"({"requests_per_minute": null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(json_of(cleared)["limits"]["requests_per_minute"].is_null());
  HttpResult r = authorize(fresh_jwt);
  EXPECT_NE(r.status, 429);
  EXPECT_EQ(r.header("ratelimit-limit"), "60");
}

// Test that [[role_limits]] in the configuration applies to keys with that
// role, and that a key without a role keeps the default.
TEST_F(RateLimit, RoleLimitFromConfiguration) {
  HttpResult role = post("/api/v1/roles", {bearer_header(admin_token()), kJson},
                         Json{{"name", "Batch"}, {"modules", {"RECORDS"}}}.dump());
  ASSERT_EQ(role.status, 201) << role.body;
  const std::string role_id = json_of(role)["id"];
  ASSERT_EQ(send("PUT", "/api/v1/users/" + owner_.user_id + "/roles/" + role_id,
                 {bearer_header(admin_token())})
                .status,
            200);
  const CreatedKey batch = create_key("batch", role_id);
  write_config("[[role_limits]]\nrole = \"" + role_id + "\"\nrequests_per_minute = 5\n");
  server_->restart();

  const std::string token = access_token(batch);  // 1 of 5
  for (int i = 0; i < 4; ++i) {
    HttpResult r = authorize(token);
    ASSERT_NE(r.status, 429) << i << ": " << r.body;
    EXPECT_EQ(r.header("ratelimit-limit"), "5");
  }
  EXPECT_EQ(authorize(token).status, 429);
  // The role-less key keeps the default.
  HttpResult plain = authorize(access_token(key_));
  EXPECT_EQ(plain.header("ratelimit-limit"), "60");
}

// Test that SIGHUP applies a changed role limit and default to the running
// server (docs/operations.md), counting what was already made.
TEST_F(RateLimit, ReloadAppliesChangedLimits) {
  HttpResult role = post("/api/v1/roles", {bearer_header(admin_token()), kJson},
                         Json{{"name", "Batch"}, {"modules", {"RECORDS"}}}.dump());
  ASSERT_EQ(role.status, 201) << role.body;
  const std::string role_id = json_of(role)["id"];
  ASSERT_EQ(send("PUT", "/api/v1/users/" + owner_.user_id + "/roles/" + role_id,
                 {bearer_header(admin_token())})
                .status,
            200);
  const CreatedKey batch = create_key("batch", role_id);
  const std::string token = access_token(batch);                // 1
  EXPECT_EQ(authorize(token).header("ratelimit-limit"), "60");  // 2

  write_config("rate_limit_per_minute = 30\n[[role_limits]]\nrole = \"" + role_id +
               "\"\nrequests_per_minute = 3\n");
  const auto applied = [this] {
    return server_->output().find("reload: applied rate_limit_per_minute and role_limits") !=
           std::string::npos;
  };
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!applied() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling another process's log
  }
  ASSERT_TRUE(applied()) << server_->output();

  HttpResult third = authorize(token);  // 3 of 3
  EXPECT_NE(third.status, 429) << third.body;
  EXPECT_EQ(third.header("ratelimit-limit"), "3");
  EXPECT_EQ(authorize(token).status, 429);
  EXPECT_EQ(authorize(access_token(key_)).header("ratelimit-limit"), "30");
}

// Test the credential-stuffing throttle on POST /api/v1/account/token:
// five wrong secrets cost nothing, the sixth starts a 1 s delay during
// which even the right secret gets 429 too_many_attempts with Retry-After;
// another client's right secret from the same IP is not slowed.
TEST_F(RateLimit, StuffingOnClientCredentialsIsThrottled) {
  const std::string wrong = "lk_sec_wrong";
  for (int i = 0; i < 6; ++i) {
    HttpResult r = issue(owner_.client_id, wrong);
    ASSERT_EQ(r.status, 401) << i << ": " << r.body;
  }
  HttpResult throttled = issue(owner_.client_id, owner_.client_secret);
  ASSERT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_EQ(json_of(throttled)["error"], "too_many_attempts");
  EXPECT_EQ(throttled.header("retry-after"), "1");
  // Another client from the same address: not slowed.
  HttpResult other = issue(admin().client_id, admin().client_secret);
  EXPECT_EQ(other.status, 200) << other.body;
  // After the delay the right secret works (and clears the count).
  server_->advance_clock_seconds(1);
  HttpResult ok = issue(owner_.client_id, owner_.client_secret);
  EXPECT_EQ(ok.status, 200) << ok.body;
  HttpResult wrong_again = issue(owner_.client_id, wrong);
  EXPECT_EQ(wrong_again.status, 401);  // free again after the success
  HttpResult metrics = get("/metrics");
  if (metrics.status == 200) {
    EXPECT_NE(metrics.body.find("latchkey_limit_rejections_total{limit=\"auth_throttle\"}"),
              std::string::npos);
  }
}

// Test the throttle on the API-key exchanges: bad keys from one address are
// free 20 times (per IP), then refused with 429 too_many_attempts; a
// refused attempt does not reach the key check.
TEST_F(RateLimit, StuffingOnKeyExchangeIsThrottledPerIp) {
  for (int i = 0; i < 21; ++i) {
    HttpResult r = post("/v2/auth/token/access", {kJson},
                        Json{{"api_key", "lk_key_guess" + std::to_string(i)}}.dump());
    ASSERT_EQ(r.status, 401) << i << ": " << r.body;
  }
  HttpResult throttled = post("/auth/login", {kJson}, Json{{"api_key", key_.api_key}}.dump());
  ASSERT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_EQ(json_of(throttled)["error"], "too_many_attempts");
  EXPECT_EQ(throttled.header("retry-after"), "1");
  server_->advance_clock_seconds(1);
  HttpResult ok = post("/auth/login", {kJson}, Json{{"api_key", key_.api_key}}.dump());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("ratelimit-limit"), "60");
}

// Test that nginx never hears a 429 from /v1/auth-request (it would turn it
// into a 500): past the key's limit the answer is a 403 with
// X-Latchkey-Reason: rate_limited and Retry-After (docs/nginx.md).
TEST_F(RateLimit, AuthRequestAnswers403WhenLimited) {
  write_config(
      "[[route_rules]]\nmethod = \"GET\"\npath = \"/anything\"\naction = \"authenticated\"\n");
  server_->restart();
  ASSERT_EQ(put_limits(admin_token(), key_.id, R"({"requests_per_minute": 3})").status, 200);
  const std::string jwt = access_token(key_);  // 1 of 3
  auto check = [&] {
    return get("/v1/auth-request",
               {bearer_header(jwt), "X-Original-Method: GET", "X-Original-URI: /anything"});
  };
  for (int i = 0; i < 2; ++i) {
    HttpResult r = check();
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
  }
  HttpResult limited = check();
  EXPECT_EQ(limited.status, 403) << limited.body;
  EXPECT_EQ(limited.header("x-latchkey-reason"), "rate_limited");
  EXPECT_FALSE(limited.header("retry-after").empty());
  EXPECT_EQ(json_of(limited)["reason"], "rate_limited");
}

// Test that a request with a key-derived JWT is verified exactly once (the
// pipeline authenticates once; the key limits and the handler reuse it).
TEST_F(RateLimit, OneVerificationPerKeyJwtRequest) {
  // latchkey_token_verifications_total{kind} on /metrics.
  auto verifications = [this](const std::string& kind) {
    HttpResult metrics = get("/metrics");
    const std::string name = "latchkey_token_verifications_total{kind=\"" + kind + "\"} ";
    const auto at = metrics.body.find(name);
    return at == std::string::npos ? 0.0 : std::stod(metrics.body.substr(at + name.size()));
  };
  const std::string jwt = access_token(key_);
  ASSERT_EQ(get("/api/v1/account/me", {bearer_header(jwt)}).status, 200);  // cached now
  const double before = verifications("jwt");
  for (int i = 0; i < 5; ++i) {
    HttpResult r = get("/api/v1/account/me", {bearer_header(jwt)});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ratelimit-limit"), "60");
  }
  EXPECT_EQ(verifications("jwt") - before, 5);
  ASSERT_EQ(authorize(jwt).status, 400);  // a bad body: still one verification
  EXPECT_EQ(verifications("jwt") - before, 6);
}

}  // namespace
}  // namespace latchkey::testing
