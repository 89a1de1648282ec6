// Tests of the limit settings of latchkeyd's configuration
// (rate_limit_per_minute, concurrency_per_route, [[role_limits]],
// auth_throttle_*; docs/rate-limits.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "server/config.h"

namespace latchkey::server {
namespace {

Result<ParsedCommandLine> load(std::vector<std::string> args) {
  args.insert(args.begin(), "latchkeyd");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return load_config(static_cast<int>(argv.size()), argv.data());
}

Result<ParsedCommandLine> load_toml(const std::string& text) {
  static int n = 0;
  const std::string path = ::testing::TempDir() + "/latchkeyd-limits-" + std::to_string(getpid()) +
                           "-" + std::to_string(++n) + ".toml";
  std::ofstream(path) << text;
  auto c = load({"--config", path});
  std::remove(path.c_str());
  return c;
}

// Test the seed-004 defaults and the throttle's documented numbers.
TEST(LimitsConfig, Defaults) {
  auto c = load({});
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.rate_limit_per_minute, 60);
  EXPECT_EQ(c->config.concurrency_per_route, 5);
  EXPECT_TRUE(c->config.role_limits.empty());
  EXPECT_EQ(c->config.auth_throttle_client_failures, 5);
  EXPECT_EQ(c->config.auth_throttle_ip_failures, 20);
  EXPECT_EQ(c->config.auth_throttle_max_delay_s, 300);
  EXPECT_EQ(c->config.auth_throttle_forget_s, 900);
}

// Test the file, and flags over the file.
TEST(LimitsConfig, FileRoleLimitsAndFlags) {
  auto c = load_toml(
      "rate_limit_per_minute = 120\nconcurrency_per_route = 0\nauth_throttle_ip_failures = 50\n"
      "[[role_limits]]\nrole = \"rol_a\"\nrequests_per_minute = 600\n"
      "[[role_limits]]\nrole = \"rol_b\"\nrequests_per_minute = 0\nconcurrent_per_route = 2\n");
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.rate_limit_per_minute, 120);
  EXPECT_EQ(c->config.concurrency_per_route, 0);
  EXPECT_EQ(c->config.auth_throttle_ip_failures, 50);
  ASSERT_EQ(c->config.role_limits.size(), 2u);
  EXPECT_EQ(c->config.role_limits[0].role, "rol_a");
  EXPECT_EQ(c->config.role_limits[0].requests_per_minute, 600);
  EXPECT_FALSE(c->config.role_limits[0].concurrent_per_route);
  EXPECT_EQ(c->config.role_limits[1].requests_per_minute, 0);
  EXPECT_EQ(c->config.role_limits[1].concurrent_per_route, 2);

  auto flags = load({"--rate-limit-per-minute", "7", "--auth-throttle-max-delay-s", "30"});
  ASSERT_TRUE(flags) << flags.error().description;
  EXPECT_EQ(flags->config.rate_limit_per_minute, 7);
  EXPECT_EQ(flags->config.auth_throttle_max_delay_s, 30);
}

// Test that bad values refuse to start.
TEST(LimitsConfig, RejectsBadValues) {
  EXPECT_FALSE(load({"--rate-limit-per-minute", "-1"}));
  EXPECT_FALSE(load({"--concurrency-per-route", "100001"}));
  EXPECT_FALSE(load({"--auth-throttle-client-failures", "0"}));
  EXPECT_FALSE(load({"--auth-throttle-max-delay-s", "0"}));
  EXPECT_FALSE(load({"--auth-throttle-forget-s", "86401"}));
  EXPECT_FALSE(load_toml("rate_limit_per_minute = \"60\"\n"));
  EXPECT_FALSE(load_toml("role_limits = 3\n"));
  EXPECT_FALSE(load_toml("[[role_limits]]\nrequests_per_minute = 5\n"));  // no role
  EXPECT_FALSE(load_toml("[[role_limits]]\nrole = \"r\"\nrpm = 5\n"));    // unknown key
  EXPECT_FALSE(load_toml("[[role_limits]]\nrole = \"r\"\nrequests_per_minute = -5\n"));
  EXPECT_FALSE(load_toml("[[role_limits]]\nrole = \"r\"\nconcurrent_per_route = \"2\"\n"));
  EXPECT_FALSE(load_toml("[[role_limits]]\nrole = \"r\"\n[[role_limits]]\nrole = \"r\"\n"));
}

// Test the Redis limits settings (issue 12; docs/rate-limits.md "Across
// nodes (Redis)"): in process by default, a redis:// URL from the file or
// the flag, fail-closed by default, a 30 s lease; a bad URL or lease is an
// error at load time, and the error never repeats the password.
TEST(LimitsConfig, RedisLimitsSettings) {
  auto d = load({});
  ASSERT_TRUE(d) << d.error().description;
  EXPECT_EQ(d->config.limits, "");
  EXPECT_FALSE(d->config.limits_fail_open);
  EXPECT_EQ(d->config.limits_lease_s, 30);
  auto c = load_toml(
      "limits = \"redis://10.0.0.7:6380/1\"\nlimits_fail_open = true\nlimits_lease_s = 10\n");
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.limits, "redis://10.0.0.7:6380/1");
  EXPECT_TRUE(c->config.limits_fail_open);
  EXPECT_EQ(c->config.limits_lease_s, 10);
  auto f = load({"--limits", "redis://127.0.0.1:7000", "--limits-lease-s", "5"});
  ASSERT_TRUE(f) << f.error().description;
  EXPECT_EQ(f->config.limits, "redis://127.0.0.1:7000");
  EXPECT_EQ(f->config.limits_lease_s, 5);
  auto bad_url = load({"--limits", "memcached://:s3cret@h:1"});
  ASSERT_FALSE(bad_url);
  EXPECT_NE(bad_url.error().description.find("redis://"), std::string::npos);
  EXPECT_EQ(bad_url.error().description.find("s3cret"), std::string::npos);
  EXPECT_FALSE(load({"--limits", "redis://h:99999"}));
  EXPECT_FALSE(load({"--limits-lease-s", "0"}));
  EXPECT_FALSE(load_toml("limits_fail_open = \"yes\"\n"));
}

}  // namespace
}  // namespace latchkey::server
