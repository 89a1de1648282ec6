// Origin restrictions and the token-interference alarm against a real
// latchkeyd (docs/origin-restrictions.md). Loopback only: the server
// listens on 127.0.0.1, and a client bound to the alias 127.0.0.2 is
// another origin; behind a trusted proxy (127.0.0.1) X-Forwarded-For names
// the client.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/server_fixture.h"

namespace latchkey::testing {
namespace {

constexpr const char* kJson = "Content-Type: application/json";

// A client that connects from `source` (a loopback alias).
struct Origin {
  explicit Origin(const std::string& source) { http.set_source_address(source); }
  HttpClient http;
};

std::string reason_of(const HttpResult& r) {
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  return body.is_object() ? body.value("reason", "") : "";
}

// The value of an unlabelled counter on /metrics (0 when absent).
long metric(const std::string& text, const std::string& name) {
  const std::string needle = "\n" + name + " ";
  const auto at = text.find(needle);
  if (at == std::string::npos) return 0;
  return std::stol(text.substr(at + needle.size()));
}

class OriginTest : public ServerTest {
 protected:
  HttpResult from(Origin& origin, const std::string& method, const std::string& path,
                  const std::vector<std::string>& headers = {}, const std::string& body = "") {
    return origin.http.send(method, server_->url() + path, headers, body);
  }

  HttpResult put_json(const std::string& path, const Json& body) {
    return send("PUT", path, {bearer_header(admin_token()), kJson}, body.dump());
  }

  // A key of the admin's own, restricted to `cidrs`; returns {id, api_key}.
  std::pair<std::string, std::string> create_key(const Json& cidrs) {
    Json body = {{"name", "ci"}, {"expires_in_days", 30}, {"allowed_origins", cidrs}};
    HttpResult r = post("/api/v1/keys", {bearer_header(admin_token()), kJson}, body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    Json key = json_of(r);
    EXPECT_EQ(key["allowed_origins"], cidrs);
    return {key.value("id", ""), key.value("api_key", "")};
  }

  // Every audit record of `principal` with `reason`, as {action, client_ip}.
  std::vector<std::pair<std::string, std::string>> audited(const std::string& principal,
                                                           const std::string& reason) {
    std::vector<std::pair<std::string, std::string>> found;
    // The trail is buffered: a few flushes may be needed.
    for (int i = 0; i < 200 && found.empty(); ++i) {
      HttpResult r = get("/api/v1/audit?principal=" + principal, {bearer_header(admin_token())});
      EXPECT_EQ(r.status, 200) << r.body;
      const Json trail = json_of(r);  // held: a range-for over a temporary's member dangles
      for (const auto& e : trail["events"]) {
        if (e.value("reason", "") == reason) found.emplace_back(e["action"], e["client_ip"]);
      }
      if (found.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (found.empty() && i == 199) ADD_FAILURE() << r.body;
    }
    return found;
  }
};

// Test that a CIDR-restricted key is refused from 127.0.0.2 and admitted
// from 127.0.0.1, at issuance and at every use of its token: a token issued
// from the allowed address is refused from the other one.
TEST_F(OriginTest, RestrictedKeyRefusedFromAnotherAddress) {
  const auto [key_id, api_key] = create_key(Json::array({"127.0.0.1/32"}));
  Origin allowed("127.0.0.1");
  Origin refused("127.0.0.2");
  const std::string exchange = Json{{"api_key", api_key}}.dump();

  HttpResult denied = from(refused, "POST", "/v2/auth/token/access", {kJson}, exchange);
  EXPECT_EQ(denied.status, 401) << denied.body;
  EXPECT_EQ(reason_of(denied), "origin_not_allowed");
  EXPECT_NE(denied.body.find("127.0.0.2"), std::string::npos);
  EXPECT_EQ(from(refused, "POST", "/auth/login", {kJson}, exchange).status, 401);

  HttpResult issued = from(allowed, "POST", "/v2/auth/token/access", {kJson}, exchange);
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string token = json_of(issued)["access_token"];
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 200);
  HttpResult used = from(refused, "GET", "/api/v1/account/me", {bearer_header(token)});
  EXPECT_EQ(used.status, 401) << used.body;
  EXPECT_EQ(reason_of(used), "origin_not_allowed");
  EXPECT_NE(used.header("www-authenticate").find("origin_not_allowed"), std::string::npos);

  // The refusal is audited with the client address.
  const auto records = audited(server_->admin().user_id, "origin_not_allowed");
  ASSERT_FALSE(records.empty());
  for (const auto& [action, ip] : records) EXPECT_EQ(ip, "127.0.0.2") << action;

  // Cleared: from anywhere, at once (the cached principal does not survive).
  HttpResult cleared =
      put_json("/api/v1/keys/" + key_id + "/allowed-origins", {{"cidrs", Json::array()}});
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_TRUE(json_of(cleared)["allowed_origins"].empty());
  EXPECT_EQ(from(refused, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 200);
  // And restricted again: refused at once where it was just admitted.
  ASSERT_EQ(
      put_json("/api/v1/keys/" + key_id + "/allowed-origins", {{"cidrs", {"10.0.0.0/8"}}}).status,
      200);
  EXPECT_EQ(from(refused, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 401);
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 401);
}

// Test that a restricted user's Client ID + Secret, account token and OAuth
// client credentials are refused from 127.0.0.2 and admitted from
// 127.0.0.1, that the user JSON shows the normalized list, and that a
// change takes effect at once.
TEST_F(OriginTest, RestrictedUserRefusedFromAnotherAddress) {
  const Credentials user = create_user_with_credentials("ci-bot", "service", true);
  HttpResult set = put_json("/api/v1/users/" + user.user_id + "/allowed-origins",
                            {{"cidrs", {"127.0.0.1", "2001:DB8::/32", "127.0.0.1/32"}}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json_of(set)["allowed_origins"], Json::array({"127.0.0.1/32", "2001:db8::/32"}));
  HttpResult shown = get("/api/v1/users/" + user.user_id, {bearer_header(admin_token())});
  EXPECT_EQ(json_of(shown)["allowed_origins"], Json::array({"127.0.0.1/32", "2001:db8::/32"}));

  Origin allowed("127.0.0.1");
  Origin refused("127.0.0.2");
  const std::string basic = basic_header(user.client_id, user.client_secret);
  HttpResult denied = from(refused, "POST", "/api/v1/account/token", {basic});
  EXPECT_EQ(denied.status, 401) << denied.body;
  EXPECT_EQ(reason_of(denied), "origin_not_allowed");
  HttpResult oauth = from(refused, "POST", "/oauth/token",
                          {basic, "Content-Type: application/x-www-form-urlencoded"},
                          "grant_type=client_credentials");
  EXPECT_EQ(oauth.status, 401) << oauth.body;
  EXPECT_EQ(reason_of(oauth), "origin_not_allowed");

  HttpResult issued = from(allowed, "POST", "/api/v1/account/token", {basic});
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string token = json_of(issued)["access_token"];
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 200);
  EXPECT_EQ(from(refused, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 401);
  // The Basic refusal did not count as a guess: still no throttle.
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(from(refused, "POST", "/api/v1/account/token", {basic}).status, 401);
  }
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 200);

  const auto records = audited(user.user_id, "origin_not_allowed");
  ASSERT_FALSE(records.empty());
  for (const auto& [action, ip] : records) EXPECT_EQ(ip, "127.0.0.2") << action;

  // Cleared: the cached token works from anywhere at once.
  ASSERT_EQ(
      put_json("/api/v1/users/" + user.user_id + "/allowed-origins", {{"cidrs", Json::array()}})
          .status,
      200);
  EXPECT_EQ(from(refused, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 200);
}

// Test that a user's list is a ceiling for their API keys: a key of a
// restricted user, created without a list of its own, is refused from
// 127.0.0.2 (exchange and token) and admitted from 127.0.0.1; and that a
// change of the user's list takes effect at once for the key's JWT.
TEST_F(OriginTest, RestrictedUsersKeyWithoutListIsBoundByTheUsersList) {
  const Credentials user = create_user_with_credentials("etl", "service", true);
  ASSERT_EQ(
      put_json("/api/v1/users/" + user.user_id + "/allowed-origins", {{"cidrs", {"127.0.0.1/32"}}})
          .status,
      200);
  Origin allowed("127.0.0.1");
  Origin refused("127.0.0.2");
  HttpResult account = from(allowed, "POST", "/api/v1/account/token",
                            {basic_header(user.client_id, user.client_secret)});
  ASSERT_EQ(account.status, 200) << account.body;
  const std::string account_token = json_of(account)["access_token"];
  HttpResult created = from(allowed, "POST", "/api/v1/keys", {bearer_header(account_token), kJson},
                            R"({"name": "anywhere", "scope": "write", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(json_of(created)["allowed_origins"].empty()) << created.body;
  const std::string exchange = Json{{"api_key", json_of(created)["api_key"]}}.dump();

  HttpResult denied = from(refused, "POST", "/v2/auth/token/access", {kJson}, exchange);
  EXPECT_EQ(denied.status, 401) << denied.body;
  EXPECT_EQ(reason_of(denied), "origin_not_allowed");
  EXPECT_EQ(from(refused, "POST", "/auth/login", {kJson}, exchange).status, 401);

  HttpResult issued = from(allowed, "POST", "/v2/auth/token/access", {kJson}, exchange);
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string jwt = json_of(issued)["access_token"];
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(jwt)}).status, 200);
  HttpResult used = from(refused, "GET", "/api/v1/account/me", {bearer_header(jwt)});
  EXPECT_EQ(used.status, 401) << used.body;
  EXPECT_EQ(reason_of(used), "origin_not_allowed");

  // The user's list moves to 127.0.0.2: the key's cached JWT follows at once.
  ASSERT_EQ(
      put_json("/api/v1/users/" + user.user_id + "/allowed-origins", {{"cidrs", {"127.0.0.2/32"}}})
          .status,
      200);
  EXPECT_EQ(from(refused, "GET", "/api/v1/account/me", {bearer_header(jwt)}).status, 200);
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(jwt)}).status, 401);
  // Cleared: the key, unrestricted itself, works from anywhere again.
  ASSERT_EQ(
      put_json("/api/v1/users/" + user.user_id + "/allowed-origins", {{"cidrs", Json::array()}})
          .status,
      200);
  EXPECT_EQ(from(allowed, "GET", "/api/v1/account/me", {bearer_header(jwt)}).status, 200);
  EXPECT_EQ(from(refused, "POST", "/v2/auth/token/access", {kJson}, exchange).status, 200);
}

// Test that a bad list is a clear 400 naming the entry, that more than 64
// entries are refused, and that only an admin sets a user's list.
TEST_F(OriginTest, ValidationNamesTheBadEntry) {
  const Credentials user = create_user_with_credentials("validator", "service", true);
  const std::string own_token = issue_token(user);
  const std::string path = "/api/v1/users/" + user.user_id + "/allowed-origins";
  HttpResult bad = put_json(path, {{"cidrs", {"10.0.0.0/8", "10.0.0.1/8"}}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json_of(bad).value("entry", ""), "10.0.0.1/8");
  EXPECT_EQ(json_of(bad).value("index", ""), "1");
  EXPECT_NE(json_of(bad).value("error_description", "").find("host bits"), std::string::npos);
  EXPECT_EQ(put_json(path, {{"cidrs", {"2001:db8::/129"}}}).status, 400);
  EXPECT_EQ(put_json(path, {{"cidrs", {42}}}).status, 400);
  EXPECT_EQ(put_json(path, {{"cidrz", Json::array()}}).status, 400);
  Json many = Json::array();
  for (int i = 0; i < 65; ++i) many.push_back("10.0." + std::to_string(i) + ".0/24");
  EXPECT_EQ(put_json(path, {{"cidrs", many}}).status, 400);
  many.erase(many.begin());
  EXPECT_EQ(put_json(path, {{"cidrs", many}}).status, 200);
  ASSERT_EQ(put_json(path, {{"cidrs", Json::array()}}).status, 200);

  HttpResult not_admin =
      send("PUT", path, {bearer_header(own_token), kJson}, Json{{"cidrs", Json::array()}}.dump());
  EXPECT_EQ(not_admin.status, 403) << not_admin.body;
}

// --- behind a trusted proxy -----------------------------------------------------

class OriginBehindProxyTest : public OriginTest {
 protected:
  std::vector<std::string> server_args() override { return {"--trusted-proxy", "127.0.0.1/32"}; }
};

// Test that behind a trusted proxy (127.0.0.1) the client X-Forwarded-For
// names is the origin, and that an untrusted peer's X-Forwarded-For is
// ignored (its own address is the origin).
TEST_F(OriginBehindProxyTest, ForwardedClientIsTheOrigin) {
  const auto [key_id, api_key] = create_key(Json::array({"198.51.100.0/24", "127.0.0.2/32"}));
  Origin proxy("127.0.0.1");
  Origin untrusted("127.0.0.3");
  const std::string exchange = Json{{"api_key", api_key}}.dump();

  HttpResult via_proxy = from(proxy, "POST", "/v2/auth/token/access",
                              {kJson, "X-Forwarded-For: 198.51.100.7"}, exchange);
  ASSERT_EQ(via_proxy.status, 200) << via_proxy.body;
  const std::string token = json_of(via_proxy)["access_token"];
  EXPECT_EQ(
      from(proxy, "GET", "/api/v1/account/me", {bearer_header(token), "X-Forwarded-For: 127.0.0.2"})
          .status,
      200);
  HttpResult other = from(proxy, "GET", "/api/v1/account/me",
                          {bearer_header(token), "X-Forwarded-For: 203.0.113.9"});
  EXPECT_EQ(other.status, 401) << other.body;
  EXPECT_EQ(reason_of(other), "origin_not_allowed");
  // The proxy itself is not an allowed origin.
  EXPECT_EQ(from(proxy, "GET", "/api/v1/account/me", {bearer_header(token)}).status, 401);
  // An untrusted peer naming an allowed client is itself, 127.0.0.3.
  HttpResult forged = from(untrusted, "GET", "/api/v1/account/me",
                           {bearer_header(token), "X-Forwarded-For: 198.51.100.7"});
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_NE(forged.body.find("127.0.0.3"), std::string::npos);

  std::vector<std::string> ips;
  for (const auto& [action, ip] : audited(server_->admin().user_id, "origin_not_allowed")) {
    ips.push_back(ip);
  }
  EXPECT_NE(std::find(ips.begin(), ips.end(), "203.0.113.9"), ips.end());
  EXPECT_EQ(std::find(ips.begin(), ips.end(), "198.51.100.7"), ips.end());
}

// Test that the interference alarm fires at the N+1-th regeneration within
// the hour from two origins (N = 5, the default) and not at the N-th; that
// it shows in the dependents report, on /metrics and in the audit trail;
// that a burst raises one alarm; and that one origin never raises any.
TEST_F(OriginBehindProxyTest, InterferenceAlarmAtNPlusOne) {
  const Credentials shared = create_user_with_credentials("shared-creds", "service", true);
  const Credentials lone = create_user_with_credentials("lone-client", "service", true);
  Origin proxy("127.0.0.1");
  auto issue_from = [&](const Credentials& c, const std::string& client) {
    HttpResult r = from(proxy, "POST", "/api/v1/account/token",
                        {basic_header(c.client_id, c.client_secret), "X-Forwarded-For: " + client});
    EXPECT_EQ(r.status, 200) << r.body;
  };
  auto interference = [&](const Credentials& c) {
    HttpResult r =
        get("/api/v1/users/" + c.user_id + "/dependents", {bearer_header(admin_token())});
    EXPECT_EQ(r.status, 200) << r.body;
    return json_of(r)["interference"];
  };
  const long before = metric(get("/metrics").body, "latchkey_token_interference_total");

  for (int i = 0; i < 5; ++i) issue_from(shared, i % 2 == 0 ? "198.51.100.1" : "198.51.100.2");
  EXPECT_TRUE(interference(shared).is_null()) << interference(shared);
  EXPECT_EQ(metric(get("/metrics").body, "latchkey_token_interference_total"), before);

  issue_from(shared, "198.51.100.1");  // the sixth within the hour
  Json alarm = interference(shared);
  ASSERT_TRUE(alarm.is_object()) << alarm;
  EXPECT_EQ(alarm["regenerations"], 6);
  EXPECT_EQ(alarm["origins"], Json::array({"198.51.100.1", "198.51.100.2"}));
  EXPECT_EQ(alarm["alarms"], 1);
  EXPECT_EQ(alarm["active"], true);
  EXPECT_EQ(alarm["client_id"], shared.client_id);
  EXPECT_EQ(metric(get("/metrics").body, "latchkey_token_interference_total"), before + 1);
  const auto records = audited(shared.user_id, "token_interference");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].first, "account.token.interference");
  EXPECT_EQ(records[0].second, "198.51.100.1");

  // The burst goes on: counted, but one alarm per hour.
  issue_from(shared, "198.51.100.2");
  alarm = interference(shared);
  EXPECT_EQ(alarm["regenerations"], 7);
  EXPECT_EQ(alarm["alarms"], 1);
  EXPECT_EQ(metric(get("/metrics").body, "latchkey_token_interference_total"), before + 1);

  // One origin only, however often: never.
  for (int i = 0; i < 8; ++i) issue_from(lone, "198.51.100.9");
  EXPECT_TRUE(interference(lone).is_null());
  EXPECT_EQ(metric(get("/metrics").body, "latchkey_token_interference_total"), before + 1);
}

}  // namespace
}  // namespace latchkey::testing
