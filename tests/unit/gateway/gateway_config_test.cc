// [[gateway_routes]] in latchkeyd's TOML file: parsed, defaults applied and
// validated at start-up (server/config.cc with gateway/route_table.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "server/config.h"

namespace latchkey::server {
namespace {

class GatewayConfigTest : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(path_.c_str()); }
  Result<ParsedCommandLine> load_toml(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "/latchkeyd-gw-" + std::to_string(getpid()) + "-" +
            info->name() + ".toml";
    std::ofstream(path_) << text;
    std::vector<std::string> args = {"latchkeyd", "--config", path_};
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    return load_config(static_cast<int>(argv.size()), argv.data());
  }
  std::string path_;
};

// Test that a full route is read with every key, and defaults fill the rest.
TEST_F(GatewayConfigTest, RoutesReadWithDefaults) {
  auto parsed = load_toml(R"toml(
[[gateway_routes]]
method = "GET"
path = "/api/apps/{app}/records/{step}"
upstream = "http://127.0.0.1:9000/base"
action = "read_records"
application_param = "app"
step_param = "step"
forward_authorization = true
timeout_ms = 1500
connect_timeout_ms = 250

[[gateway_routes]]
method = "*"
path = "/api/status"
upstream = "http://127.0.0.1:9000"
action = "authenticated"
)toml");
  ASSERT_TRUE(parsed) << parsed.error().description;
  const auto& routes = parsed->config.gateway_routes;
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].path, "/api/apps/{app}/records/{step}");
  EXPECT_EQ(routes[0].upstream, "http://127.0.0.1:9000/base");
  EXPECT_EQ(routes[0].application_param, "app");
  EXPECT_EQ(routes[0].step_param, "step");
  EXPECT_TRUE(routes[0].forward_authorization);
  EXPECT_EQ(routes[0].timeout_ms, 1500);
  EXPECT_EQ(routes[0].connect_timeout_ms, 250);
  EXPECT_FALSE(routes[1].forward_authorization);
  EXPECT_EQ(routes[1].timeout_ms, 30'000);
  EXPECT_EQ(routes[1].connect_timeout_ms, 2'000);
}

// Test that latchkeyd refuses to start on a bad route, naming it and the problem.
TEST_F(GatewayConfigTest, BadRoutesRefuseToStart) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(method = "GET"
path = "/a/{app}"
upstream = "http://127.0.0.1:9000"
action = "create_record"
application_param = "application")",
       "application_param \"application\" is not a parameter"},
      {R"(method = "GET"
path = "/a"
upstream = "not a url"
action = "authenticated")",
       "must start with http://"},
      {R"(method = "GET"
path = "/a"
upstream = "https://127.0.0.1"
action = "authenticated")",
       "not supported"},
      {R"(method = "GET"
path = "/a"
upstream = "http://127.0.0.1"
action = "authenticated"
retries = 3)",
       "unknown key \"retries\""},
      {R"(method = "GET"
path = "/a"
upstream = "http://127.0.0.1"
action = "authenticated"
timeout_ms = "fast")",
       "timeout_ms must be an integer"},
      {R"(path = "/a"
upstream = "http://127.0.0.1"
action = "authenticated")",
       "method is required"},
  };
  for (const auto& [body, expected] : cases) {
    auto parsed = load_toml("[[gateway_routes]]\n" + body + "\n");
    ASSERT_FALSE(parsed) << body;
    EXPECT_NE(parsed.error().description.find("gateway_routes[0]"), std::string::npos)
        << parsed.error().description;
    EXPECT_NE(parsed.error().description.find(expected), std::string::npos)
        << parsed.error().description;
  }
}

}  // namespace
}  // namespace latchkey::server
