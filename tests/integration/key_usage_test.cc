// Usage per API key against a real latchkeyd (issue 14 item 6;
// docs/key-usage.md): the counts of GET /api/v1/keys/{id}/usage equal the
// requests sent with the key and its JWTs (exchanges, API calls, refusals:
// 429 from the key's limit, 403 from a decision, 401 for a deactivated key
// and for its JWT), per route and status class, at once (read-your-writes); requests on
// both sides of an hour boundary of the test clock land in two buckets; the
// counts survive a restart (flushed at shutdown); the per-key metrics keep
// at most metrics_top_keys + 1 key_id values and only grow.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/server_fixture.h"
#include "support/test_upstream.h"

namespace latchkey::testing {
namespace {

const std::string kJson = "Content-Type: application/json";
constexpr int kTopKeys = 2;

struct Key {
  std::string api_key;
  std::string id;
};

// Seconds since the epoch of "2026-11-23T10:00:00.000Z".
long long epoch_seconds(const std::string& rfc3339) {
  std::tm tm{};
  std::istringstream in(rfc3339.substr(0, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  return static_cast<long long>(timegm(&tm));
}

std::string rfc3339(long long seconds) {
  const std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// (route, status class) -> count, as sent or as answered.
using Tally = std::map<std::pair<std::string, std::string>, long long>;

std::string status_class(int status) { return std::to_string(status / 100) + "xx"; }

class KeyUsage : public ServerTest {
 protected:
  std::vector<std::string> server_args() override {
    return {"--metrics-top-keys=" + std::to_string(kTopKeys)};
  }
  void SetUp() override {
    ServerTest::SetUp();
    owner_ = create_user_with_credentials("usage-owner", "service", true);
    owner_token_ = issue_token(owner_);
  }

  Key create_key(const std::string& name) {
    HttpResult r = post("/api/v1/keys", {bearer_header(owner_token_), kJson},
                        Json{{"name", name}, {"expires_in_days", 30}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    const Json key = json_of(r);
    return {key.value("api_key", ""), key.value("id", "")};
  }
  // Sends and tallies one request attributable to a key.
  HttpResult sent(Tally& tally, const std::string& route, const std::string& method,
                  const std::string& path, const std::vector<std::string>& headers,
                  const std::string& body = "") {
    HttpResult r = send(method, path, headers, body);
    EXPECT_NE(r.status, 0) << r.error;
    ++tally[{route, status_class(r.status)}];
    return r;
  }
  HttpResult exchange(Tally& tally, const Key& key) {
    return sent(tally, "POST /v2/auth/token/access", "POST", "/v2/auth/token/access", {kJson},
                Json{{"api_key", key.api_key}}.dump());
  }
  HttpResult usage(const std::string& key_id, const std::string& query = "",
                   const std::string& token = "") {
    return get("/api/v1/keys/" + key_id + "/usage" + query,
               {bearer_header(token.empty() ? owner_token_ : token)});
  }
  // The counts of a usage answer's buckets, per (route, class), for the
  // buckets starting in [from, to) (epoch seconds).
  static Tally tally_of(const Json& answer, long long from = 0, long long to = 1LL << 40) {
    Tally out;
    for (const Json& bucket : answer.at("buckets")) {
      const long long start = epoch_seconds(bucket.at("start"));
      if (start < from || start >= to) continue;
      for (const Json& c : bucket.at("counts")) {
        out[{c.at("route"), c.at("status_class")}] += c.at("count").get<long long>();
      }
    }
    return out;
  }
  // Moves the test clock to one minute past the next hour; returns that
  // hour's start (epoch seconds).
  long long to_next_hour() {
    const Json now = json_of(usage(key_id_for_clock_));
    const long long at = epoch_seconds(now.at("to"));
    const long long next = (at / 3600 + 1) * 3600;
    server_->advance_clock_seconds(next - at + 60);
    return next;
  }

  Credentials owner_;
  std::string owner_token_;
  std::string key_id_for_clock_;
};

// Test that usage counts equal the requests sent, per route and status
// class, at once and after a restart, in two buckets across an hour.
TEST_F(KeyUsage, CountsEqualTheRequestsSent) {
  const Key key = create_key("usage-ci");
  const Key gone = create_key("usage-gone");
  key_id_for_clock_ = key.id;
  const std::string admin_auth = bearer_header(admin_token());
  // 12 requests per minute for this key: the 13th gets 429.
  HttpResult limited = send("PUT", "/api/v1/keys/" + key.id + "/limits", {admin_auth, kJson},
                            R"({"requests_per_minute": 12})");
  ASSERT_EQ(limited.status, 200) << limited.body;
  HttpResult app = post("/api/v1/applications", {admin_auth, kJson},
                        R"({"name":"Warehouse","steps":[{"name":"Intake","origin":true}]})");
  ASSERT_EQ(app.status, 201) << app.body;
  const std::string read_body = Json{{"action", "read_records"},
                                     {"application", json_of(app)["id"]},
                                     {"steps", {json_of(app)["steps"][0]["id"]}}}
                                    .dump();
  const long long hour1 = to_next_hour();

  Tally first;  // hour 1
  for (int i = 0; i < 3; ++i) ASSERT_EQ(exchange(first, key).status, 200);
  HttpResult login = sent(first, "POST /auth/login", "POST", "/auth/login", {kJson},
                          Json{{"api_key", key.api_key}, {"session_id", "s1"}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string jwt = json_of(login).value("access_token", "");
  const std::string auth = bearer_header(jwt);
  for (int i = 0; i < 2; ++i) {  // the owner is not entitled: the decision says 403
    HttpResult denied =
        sent(first, "POST /v1/authorize", "POST", "/v1/authorize", {auth, kJson}, read_body);
    ASSERT_EQ(denied.status, 403) << denied.body;
  }
  int refused = 0;
  for (int i = 0; i < 8; ++i) {  // 6 more admitted (12 in all), then 429
    HttpResult r = sent(first, "GET /api/v1/account/me", "GET", "/api/v1/account/me", {auth});
    if (r.status == 429) ++refused;
  }
  EXPECT_EQ(refused, 2);
  // A deactivated key is still identified: its 401 counts under it.
  HttpResult gone_token = exchange(first, gone);
  ASSERT_EQ(gone_token.status, 200);
  const std::string gone_auth = bearer_header(json_of(gone_token).value("access_token", ""));
  ASSERT_EQ(post("/api/v1/keys/" + gone.id + "/deactivate", {bearer_header(owner_token_)}).status,
            200);
  ASSERT_EQ(exchange(first, gone).status, 401);
  // So is a verified JWT of it: the 401 names the key.
  HttpResult gone_me = get("/api/v1/account/me", {gone_auth});
  ASSERT_EQ(gone_me.status, 401) << gone_me.body;

  // Read-your-writes: exact at once, whether or not a flush ran.
  const Json now1 = json_of(usage(key.id));
  Tally expected_key;
  Tally expected_gone;
  for (const auto& [k, n] : first) {
    if (k.first == "POST /v2/auth/token/access") continue;
    expected_key[k] = n;
  }
  expected_key[{"POST /v2/auth/token/access", "2xx"}] = 3;
  expected_gone[{"POST /v2/auth/token/access", "2xx"}] = 1;
  expected_gone[{"POST /v2/auth/token/access", "4xx"}] = 1;
  expected_gone[{"GET /api/v1/account/me", "4xx"}] = 1;
  EXPECT_EQ(tally_of(now1), expected_key) << now1.dump();
  EXPECT_EQ(now1.at("total").get<long long>(), 3 + 1 + 2 + 8);
  EXPECT_EQ(now1.at("by_status_class").at("4xx").get<long long>(), 2 + 2);
  EXPECT_EQ(now1.at("granularity"), "hour");
  EXPECT_EQ(tally_of(json_of(usage(gone.id))), expected_gone);

  // The next hour of the test clock: a second bucket.
  server_->advance_clock_seconds(3600);
  Tally second;
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(sent(second, "GET /api/v1/account/me", "GET", "/api/v1/account/me", {auth}).status,
              200);
  }
  const std::string window = "?from=" + rfc3339(hour1) + "&to=" + rfc3339(hour1 + 2 * 3600);
  const Json both = json_of(usage(key.id, window));
  ASSERT_EQ(both.at("buckets").size(), 2u) << both.dump();
  EXPECT_EQ(epoch_seconds(both.at("buckets")[0].at("start")), hour1);
  EXPECT_EQ(epoch_seconds(both.at("buckets")[1].at("start")), hour1 + 3600);
  EXPECT_EQ(tally_of(both, hour1, hour1 + 3600), expected_key);
  EXPECT_EQ(tally_of(both, hour1 + 3600), second);
  // Daily rows hold the same counts (the two hours may straddle midnight).
  const long long day = hour1 / 86400 * 86400;
  const Json days = json_of(
      usage(key.id, "?granularity=day&from=" + rfc3339(day) + "&to=" + rfc3339(day + 2 * 86400)));
  EXPECT_EQ(days.at("total").get<long long>(), both.at("total").get<long long>());

  // After a restart (the counts were flushed at shutdown; the test clock
  // starts again from the wall clock, so the window is explicit).
  ASSERT_EQ(server_->stop_gracefully(), 0);
  server_->restart();
  admin_token_.clear();
  owner_token_ = issue_token(owner_);
  const Json after = json_of(usage(key.id, window));
  EXPECT_EQ(after.at("buckets"), both.at("buckets")) << after.dump();
  EXPECT_EQ(json_of(usage(key.id, "?granularity=day&from=" + rfc3339(day) +
                                      "&to=" + rfc3339(day + 2 * 86400)))
                .at("total"),
            days.at("total"));
}

// Test who may read a key's usage with a key-derived token: the token acts
// as the key's owner, so it reads every key of that owner (the same rule as
// GET /api/v1/keys), and no key of anyone else.
TEST_F(KeyUsage, KeyTokenReadsEveryKeyOfItsOwner) {
  const Key mine = create_key("usage-token-a");
  const Key sibling = create_key("usage-token-b");
  Tally tally;
  HttpResult exchanged = exchange(tally, mine);
  ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  const std::string key_token = json_of(exchanged).value("access_token", "");
  ASSERT_EQ(exchange(tally, sibling).status, 200);
  HttpResult own = usage(mine.id, "", key_token);
  EXPECT_EQ(own.status, 200) << own.body;
  HttpResult other_key = usage(sibling.id, "", key_token);
  ASSERT_EQ(other_key.status, 200) << other_key.body;
  EXPECT_EQ(json_of(other_key).at("total"), 1);
  // Another user's key, read with this owner's key token: does not exist.
  const Credentials stranger =
      create_user_with_credentials("usage-token-stranger", "service", true);
  HttpResult created = post("/api/v1/keys", {bearer_header(issue_token(stranger)), kJson},
                            Json{{"name", "theirs"}, {"expires_in_days", 30}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult theirs = usage(json_of(created).value("id", ""), "", key_token);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
}

// Test the usage route's parameters (400 JSON) and permissions (the owner or
// an admin; anyone else 404, the key's existence not leaked).
TEST_F(KeyUsage, ParametersAndPermissions) {
  const Key key = create_key("usage-params");
  for (const std::string query :
       {"?granularity=week", "?from=yesterday", "?to=2026-13-01T00:00:00Z",
        "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "?unknown=1"}) {
    HttpResult r = usage(key.id, query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(json_of(r).value("error", ""), "invalid_request") << query;
  }
  EXPECT_EQ(usage(key.id, "?granularity=day").status, 200);
  EXPECT_EQ(usage(key.id, "", admin_token()).status, 200);
  const Credentials stranger = create_user_with_credentials("usage-stranger", "service", true);
  HttpResult other = usage(key.id, "", issue_token(stranger));
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_EQ(usage("key_does_not_exist").status, 404);
  // Defaults: the last 24 hours hourly, the last 30 days daily.
  const Json hourly = json_of(usage(key.id));
  EXPECT_EQ(epoch_seconds(hourly.at("to")) / 3600 - epoch_seconds(hourly.at("from")) / 3600, 24);
  const Json daily = json_of(usage(key.id, "?granularity=day"));
  EXPECT_EQ(epoch_seconds(daily.at("to")) / 86400 - epoch_seconds(daily.at("from")) / 86400, 30);
}

// Test the size bound of an answer: at most 31 days of hourly buckets and
// 366 days of daily ones; one hour or day more is a 400 naming "from".
TEST_F(KeyUsage, SpanIsBoundedPerGranularity) {
  const Key key = create_key("usage-span");
  const long long to = 1'795'000'000 / 86400 * 86400;  // a UTC midnight
  auto window = [&](const std::string& granularity, long long seconds) {
    return "?granularity=" + granularity + "&from=" + rfc3339(to - seconds) + "&to=" + rfc3339(to);
  };
  EXPECT_EQ(usage(key.id, window("hour", 31 * 86400)).status, 200);
  EXPECT_EQ(usage(key.id, window("day", 366 * 86400)).status, 200);
  for (const std::string& query : {window("hour", 31 * 86400 + 3600), window("hour", 366 * 86400),
                                   window("day", 367 * 86400)}) {
    HttpResult r = usage(key.id, query);
    ASSERT_EQ(r.status, 400) << query << ": " << r.body;
    const Json body = json_of(r);
    EXPECT_EQ(body.value("error", ""), "invalid_request") << r.body;
    EXPECT_EQ(body.value("reason", ""), "range_too_long") << r.body;
    EXPECT_EQ(body.value("parameter", ""), "from") << r.body;
  }
}

// The per-key series of a /metrics answer: "name{labels}" -> value.
std::map<std::string, double> key_series_of(const std::string& body) {
  std::map<std::string, double> out;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("latchkey_key_requests_total{") &&
        !line.starts_with("latchkey_key_rejections_total{")) {
      continue;
    }
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

std::set<std::string> key_ids_of(const std::map<std::string, double>& series) {
  std::set<std::string> ids;
  for (const auto& [name, value] : series) {
    const auto begin = name.find("key_id=\"") + 8;
    ids.insert(name.substr(begin, name.find('"', begin) - begin));
  }
  return ids;
}

// Test the per-key metrics' cardinality bound and monotonicity: with
// metrics_top_keys = N and N + 5 keys in use, at most N + 1 key_id values
// (the others as "other"); the busiest key is promoted at the first scrape
// and counts from there; shifting the ranking afterwards makes no series
// decrease or disappear.
TEST_F(KeyUsage, MetricsKeepTheTopKeysOnly) {
  std::vector<Key> keys;
  for (int i = 0; i < kTopKeys + 5; ++i) keys.push_back(create_key("usage-m" + std::to_string(i)));
  Tally ignored;
  for (int i = 0; i < 4; ++i) ASSERT_EQ(exchange(ignored, keys[0]).status, 200);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(exchange(ignored, keys[1]).status, 200);
  for (const Key& k : keys) ASSERT_EQ(exchange(ignored, k).status, 200);
  static_assert(kTopKeys == 2, "keys[0] and keys[1] are the two busiest at the first scrape");
  HttpResult first = get("/metrics");
  ASSERT_EQ(first.status, 200);
  const auto before = key_series_of(first.body);
  EXPECT_LE(key_ids_of(before).size(), std::size_t{kTopKeys + 1});
  EXPECT_TRUE(key_ids_of(before).contains("other"));
  EXPECT_TRUE(key_ids_of(before).contains(keys[0].id)) << first.body;

  // The last key becomes the busiest: it stays in "other", nothing drops.
  for (int i = 0; i < 8; ++i) ASSERT_EQ(exchange(ignored, keys.back()).status, 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(exchange(ignored, keys[0]).status, 200);
  HttpResult second = get("/metrics");
  ASSERT_EQ(second.status, 200);
  const auto after = key_series_of(second.body);
  EXPECT_EQ(key_ids_of(after), key_ids_of(before));
  EXPECT_FALSE(key_ids_of(after).contains(keys.back().id));
  for (const auto& [name, value] : before) {
    ASSERT_TRUE(after.contains(name)) << name << " disappeared";
    EXPECT_GE(after.at(name), value) << name << " decreased";
  }
  EXPECT_EQ(
      after.at("latchkey_key_requests_total{key_id=\"" + keys[0].id + "\",status_class=\"2xx\"}"),
      3)
      << second.body;
}

// The default configuration: no metrics_top_keys.
class KeyUsageDefaults : public KeyUsage {
 protected:
  std::vector<std::string> server_args() override { return {}; }
};

// Test that by default /metrics, which needs no token, names no key: the
// per-key metrics are opt-in (metrics_top_keys = 0), while the usage API
// still counts.
TEST_F(KeyUsageDefaults, MetricsNameNoKey) {
  const Key key = create_key("usage-default-metrics");
  Tally tally;
  ASSERT_EQ(exchange(tally, key).status, 200);
  HttpResult metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body.find("latchkey_key_requests_total"), std::string::npos);
  EXPECT_EQ(metrics.body.find("latchkey_key_rejections_total"), std::string::npos);
  EXPECT_EQ(metrics.body.find(key.id), std::string::npos) << metrics.body;
  EXPECT_EQ(json_of(usage(key.id)).at("total"), 1);
}

// The same key behind nginx (auth_request) and the gateway: every path of
// the pipeline counts, by the route rule's endpoint and the gateway route's
// label, with the status actually sent (the upstream's own 5xx included).
class KeyUsageBehindProxies : public KeyUsage {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<TestUpstream>();
    KeyUsage::SetUp();
  }
  void TearDown() override {
    std::remove(config_path_.c_str());
    server_.reset();  // latchkeyd first: it holds connections to the upstream
    upstream_.reset();
  }
  std::vector<std::string> server_args() override {
    config_path_ =
        ::testing::TempDir() + "/latchkey-key-usage-" + std::to_string(::getpid()) + ".toml";
    std::ofstream(config_path_) << R"toml(
[[route_rules]]
method = "GET"
path = "/api/status/*"
action = "authenticated"

[[gateway_routes]]
method = "GET"
path = "/status/{code}"
upstream = ")toml" + upstream_->url() + R"toml("
action = "authenticated"
)toml";
    return {"--config", config_path_};
  }

  std::unique_ptr<TestUpstream> upstream_;
  std::string config_path_;
};

// Test that auth_request and gateway requests of a key's JWT count exactly.
TEST_F(KeyUsageBehindProxies, NginxAndGatewayRequestsCount) {
  const Key key = create_key("usage-proxied");
  Tally sent_tally;
  HttpResult exchanged = exchange(sent_tally, key);
  ASSERT_EQ(exchanged.status, 200) << exchanged.body;
  const std::string auth = bearer_header(json_of(exchanged).value("access_token", ""));
  for (int i = 0; i < 2; ++i) {
    HttpResult ok = sent(sent_tally, "GET /v1/auth-request", "GET", "/v1/auth-request",
                         {auth, "X-Original-Method: GET", "X-Original-URI: /api/status/db"});
    ASSERT_EQ(ok.status, 200) << ok.body;
  }
  HttpResult no_rule = sent(sent_tally, "GET /v1/auth-request", "GET", "/v1/auth-request",
                            {auth, "X-Original-Method: DELETE", "X-Original-URI: /api/other"});
  EXPECT_EQ(no_rule.status / 100, 4) << no_rule.body;
  ASSERT_EQ(sent(sent_tally, "GET /status/{code}", "GET", "/status/200", {auth}).status, 200);
  ASSERT_EQ(sent(sent_tally, "GET /status/{code}", "GET", "/status/503", {auth}).status, 503);
  ASSERT_EQ(sent(sent_tally, "GET /status/{code}", "GET", "/status/404", {auth}).status, 404);
  // Without a token the gateway refuses, and nobody's key is counted.
  EXPECT_EQ(get("/status/200").status, 401);
  const Json answer = json_of(usage(key.id));
  EXPECT_EQ(tally_of(answer), sent_tally) << answer.dump();
  EXPECT_EQ(answer.at("total").get<long long>(), 1 + 3 + 3);
}

// Retention on the test clock: a flush every 20 ms, hourly rows kept one
// day, daily rows two. The flusher prunes when the clock enters a new hour.
class KeyUsageRetention : public KeyUsage {
 protected:
  std::vector<std::string> server_args() override {
    return {"--key-last-used-flush-ms=20", "--usage-hourly-retention-days=1",
            "--usage-retention-days=2"};
  }
  // The total of `query`, once it equals `want` (the flusher works in the
  // background: polled, at most 10 s).
  long long total_becomes(const std::string& key_id, const std::string& query, long long want) {
    long long total = -1;
    for (int i = 0; i < 1000 && total != want; ++i) {
      if (i > 0) ::usleep(10'000);
      total = json_of(usage(key_id, query)).at("total").get<long long>();
    }
    return total;
  }
};

// Test that hourly rows go after the hourly retention and daily rows after
// the retention, by the test clock, and not before.
TEST_F(KeyUsageRetention, PrunedByTheTestClock) {
  const Key key = create_key("usage-retention");
  key_id_for_clock_ = key.id;
  const long long hour = to_next_hour();
  Tally tally;
  ASSERT_EQ(exchange(tally, key).status, 200);
  const long long day = hour / 86400 * 86400;
  const std::string hourly = "?from=" + rfc3339(hour) + "&to=" + rfc3339(hour + 3600);
  const std::string daily = "?granularity=day&from=" + rfc3339(day) + "&to=" + rfc3339(day + 86400);
  EXPECT_EQ(total_becomes(key.id, hourly, 1), 1);
  // Flushed, then a day and an hour later: the hourly row is gone, the
  // daily one stays.
  EXPECT_EQ(json_of(usage(key.id, hourly)).at("total"), 1);
  server_->advance_clock_seconds(86400 + 3600);
  EXPECT_EQ(total_becomes(key.id, hourly, 0), 0);
  EXPECT_EQ(json_of(usage(key.id, daily)).at("total"), 1);
  // Two more days: the daily row is gone too.
  server_->advance_clock_seconds(2 * 86400);
  EXPECT_EQ(total_becomes(key.id, daily, 0), 0);
}

}  // namespace
}  // namespace latchkey::testing
