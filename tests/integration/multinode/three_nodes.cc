#include "integration/multinode/three_nodes.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

namespace latchkey::testing {

void ThreeNodes::SetUp() {
  PostgresServer& pg = shared_postgres_server();
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE(redis_.ping());
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  database_ = "mn_" + name + "_" + std::to_string(::getpid());
  ASSERT_TRUE(pg.create_database(database_));
  store_url_ = pg.url(database_);

  upstream_ = std::make_unique<TestUpstream>();
  config_path_ = ::testing::TempDir() + "/latchkey-multinode-" + std::to_string(::getpid()) + "-" +
                 name + ".toml";
  // The same route on every node: a concurrency slot is per key and route.
  std::ofstream(config_path_) << "[[gateway_routes]]\nmethod = \"GET\"\npath = \"/hold/a\"\n"
                                 "upstream = \""
                              << upstream_->url() << "\"\naction = \"authenticated\"\n";
  // One issuer for all: a JWT from one node is verified by the others.
  args_ = {"--store",    store_url_,     "--limits",
           redis_.url(), "--jwt-issuer", "https://latchkey.multinode.test",
           "--config",   config_path_,   "--store-pool-size",
           "4",          "--threads",    "2"};
  for (auto& a : extra_args()) args_.push_back(a);

  nodes_[0] = std::make_unique<LatchkeydProcess>(args_);
  ASSERT_FALSE(node(0).admin().client_secret.empty()) << node(0).output();
  for (int i = 1; i < kNodes; ++i) {
    nodes_[static_cast<std::size_t>(i)] = std::make_unique<LatchkeydProcess>(args_, false);
    ASSERT_FALSE(node(i).url().empty());
  }
}

void ThreeNodes::TearDown() {
  for (auto& n : nodes_) n.reset();  // the nodes first: they hold upstream and Redis connections
  upstream_.reset();
  std::remove(config_path_.c_str());
}

HttpResult ThreeNodes::send(int i, const std::string& method, const std::string& path,
                            const std::vector<std::string>& headers, const std::string& body) {
  thread_local HttpClient client;
  return client.send(method, node(i).url() + path, headers, body);
}

HttpResult ThreeNodes::me(int i, const std::string& token) {
  return send(i, "GET", "/api/v1/account/me", {bearer_header(token)});
}

HttpResult ThreeNodes::issue(int i, const UserCredentials& c) {
  return send(i, "POST", "/api/v1/account/token", {basic_header(c.client_id, c.client_secret)});
}

const std::string& ThreeNodes::admin_token() {
  if (admin_token_.empty()) {
    const AdminCredentials& a = node(0).admin();
    HttpResult r = issue(0, {a.user_id, a.client_id, a.client_secret});
    EXPECT_EQ(r.status, 200) << r.body;
    admin_token_ = json_of(r).value("access_token", "");
  }
  return admin_token_;
}

UserCredentials ThreeNodes::create_user_with_credentials(int i, const std::string& name) {
  HttpResult r = send(i, "POST", "/api/v1/users", {bearer_header(admin_token()), kJsonType},
                      Json{{"name", name}, {"type", "service"}, {"api_access", true}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  const std::string id = json_of(r).value("id", "");
  r = send(i, "POST", "/api/v1/users/" + id + "/access-key", {bearer_header(admin_token())});
  EXPECT_EQ(r.status, 200) << r.body;
  return {id, json_of(r).value("client_id", ""), json_of(r).value("client_secret", "")};
}

ApiKey ThreeNodes::create_key(int i, const std::string& owner_token, const std::string& name) {
  HttpResult r = send(i, "POST", "/api/v1/keys", {bearer_header(owner_token), kJsonType},
                      Json{{"name", name}, {"expires_in_days", 30}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return {json_of(r).value("id", ""), json_of(r).value("api_key", "")};
}

std::string ThreeNodes::exchange(int i, const ApiKey& key) {
  HttpResult r =
      send(i, "POST", "/v2/auth/token/access", {kJsonType}, Json{{"api_key", key.secret}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  return json_of(r).value("access_token", "");
}

void ThreeNodes::advance_clocks(long long seconds) {
  for (auto& n : nodes_) {
    if (n && n->pid() > 0) n->advance_clock_seconds(seconds);
  }
}

Json ThreeNodes::json_of(const HttpResult& r) {
  Json j = Json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON (" << r.status << "): " << r.body;
  return j.is_discarded() ? Json::object() : j;
}

std::string percentiles(std::vector<std::chrono::microseconds> delays) {
  if (delays.empty()) return "no samples";
  std::sort(delays.begin(), delays.end());
  auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(delays.size() - 1) + 0.5);
    return static_cast<double>(delays[index].count()) / 1000.0;
  };
  char out[160];
  std::snprintf(out, sizeof out, "p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu", at(0.5),
                at(0.99), static_cast<double>(delays.back().count()) / 1000.0, delays.size());
  return out;
}

}  // namespace latchkey::testing
