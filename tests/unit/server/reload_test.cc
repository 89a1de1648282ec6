// The pure half of the SIGHUP reload (server/config_diff.h, server/reload.h):
// which changed settings are applied and which need a restart, and that a
// refused configuration changes nothing. The whole reload against a running
// latchkeyd is tests/integration/reload_test.cc.
#include "server/reload.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "server/config_diff.h"
#include "server/data_dir.h"

namespace latchkey::server {
namespace {

gateway::GatewayRouteSpec route(std::string path) {
  gateway::GatewayRouteSpec spec;
  spec.method = "GET";
  spec.path = std::move(path);
  spec.upstream = "http://127.0.0.1:9";
  spec.action = "authenticated";
  return spec;
}

TEST(ConfigDiff, NothingChanged) {
  const Config a;
  EXPECT_TRUE(diff_config(a, a).empty());
}

// Test that routes, rules, limits and the log level are reloadable, and that
// each setting read once at start-up is reported as needing a restart.
TEST(ConfigDiff, SplitsReloadableFromRestart) {
  const Config running;
  Config next = running;
  next.gateway_routes.push_back(route("/a/{x}"));
  next.route_rules.push_back({"GET", "/b", "authenticated", "", {}, false});
  next.rate_limit_per_minute = 7;
  next.concurrency_per_route = 2;
  next.role_limits.push_back({"role_x", 10, std::nullopt});
  next.log_level = "debug";
  next.listen = "127.0.0.1:9";
  next.data_dir = "/elsewhere";
  next.tls_cert = "c.pem";
  next.max_body_bytes = 1;
  next.auth_throttle_forget_s = 5;
  next.limits = "redis://127.0.0.1:6379";
  next.limits_fail_open = true;
  next.limits_lease_s = 9;
  const ConfigDiff diff = diff_config(running, next);
  EXPECT_EQ(diff.reloadable,
            (std::vector<std::string>{"gateway_routes", "route_rules", "rate_limit_per_minute",
                                      "concurrency_per_route", "role_limits", "log_level"}));
  EXPECT_EQ(diff.needs_restart,
            (std::vector<std::string>{"listen", "data", "tls_cert", "max_body_bytes",
                                      "auth_throttle_forget_s", "limits", "limits_fail_open",
                                      "limits_lease_s"}));
}

// Test that a change inside one route (not only the count) is seen.
TEST(ConfigDiff, SeesAChangeInsideARoute) {
  Config running;
  running.gateway_routes.push_back(route("/a/{x}"));
  Config next = running;
  next.gateway_routes[0].timeout_ms = 5;
  EXPECT_EQ(diff_config(running, next).reloadable, std::vector<std::string>{"gateway_routes"});
}

// Test that after a reload the running configuration holds the new
// reloadable settings and keeps the old values of the others (so a later
// reload still reports them as needing a restart).
TEST(ConfigDiff, MergeTakesOnlyReloadableSettings) {
  const Config running;
  Config next;
  next.gateway_routes.push_back(route("/a/{x}"));
  next.log_level = "warn";
  next.listen = "127.0.0.1:9";
  const Config merged = with_reloadable_settings(running, next);
  EXPECT_EQ(merged.gateway_routes, next.gateway_routes);
  EXPECT_EQ(merged.log_level, "warn");
  EXPECT_EQ(merged.listen, running.listen);
  const ConfigDiff again = diff_config(merged, next);
  EXPECT_TRUE(again.reloadable.empty());
  EXPECT_EQ(again.needs_restart, std::vector<std::string>{"listen"});
}

TEST(ConfigDiff, JoinsNames) {
  EXPECT_EQ(join_settings({}), "");
  EXPECT_EQ(join_settings({"a"}), "a");
  EXPECT_EQ(join_settings({"a", "b"}), "a and b");
  EXPECT_EQ(join_settings({"a", "b", "c"}), "a, b and c");
}

// A Reloader over a loader and an applier the test controls.
struct ReloadHarness {
  Result<Config> next = Config{};
  std::vector<Config> applied;
  Status apply_result;
  std::vector<std::pair<bool, std::string>> lines;
  Reloader reloader{
      Config{}, [this]() -> Result<Config> { return next; },
      [this](const Config& c, const ConfigDiff&) -> Status {
        if (!apply_result) return apply_result;
        applied.push_back(c);
        return {};
      },
      [this](bool warning, const std::string& line) { lines.emplace_back(warning, line); }};
};

// Test that a configuration that fails to load changes nothing and the
// error (with its file:line:column) is logged as a warning.
TEST(Reloader, RefusedConfigurationChangesNothing) {
  ReloadHarness h;
  h.next = fail(Error::invalid_request("/etc/latchkey.toml:3:9: threads must be an integer"));
  const ReloadOutcome outcome = h.reloader.reload();
  EXPECT_FALSE(outcome.applied);
  EXPECT_TRUE(h.applied.empty());
  EXPECT_EQ(h.reloader.running().log_level, Config{}.log_level);
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_TRUE(h.lines[0].first);
  EXPECT_EQ(h.lines[0].second,
            "reload refused, nothing changed: /etc/latchkey.toml:3:9: threads must be an integer");
}

// Test that a failure while building the new state changes nothing either.
TEST(Reloader, ApplyFailureChangesNothing) {
  ReloadHarness h;
  Config next;
  next.log_level = "debug";
  h.next = next;
  h.apply_result = fail(Error::invalid_request("bad gateway route: x"));
  EXPECT_FALSE(h.reloader.reload().applied);
  EXPECT_EQ(h.reloader.running().log_level, "info");
}

// Test that reloadable changes are applied, restart-only ones reported by
// name and kept at their running value.
TEST(Reloader, AppliesReloadableAndReportsRestart) {
  ReloadHarness h;
  Config next;
  next.gateway_routes.push_back(route("/a/{x}"));
  next.listen = "0.0.0.0:9";
  h.next = next;
  const ReloadOutcome outcome = h.reloader.reload();
  EXPECT_TRUE(outcome.applied);
  ASSERT_EQ(h.applied.size(), 1u);
  EXPECT_EQ(h.applied[0].gateway_routes, next.gateway_routes);
  EXPECT_EQ(h.reloader.running().gateway_routes, next.gateway_routes);
  EXPECT_EQ(h.reloader.running().listen, Config{}.listen);
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[0], std::make_pair(false, std::string("reload: applied gateway_routes")));
  EXPECT_EQ(h.lines[1], std::make_pair(true, std::string("reload: changed but NOT applied, restart "
                                                         "latchkeyd to apply: listen")));
}

// Test that a reload with only restart-only changes does not rebuild anything.
TEST(Reloader, RestartOnlyChangeAppliesNothing) {
  ReloadHarness h;
  Config next;
  next.data_dir = "/elsewhere";
  h.next = next;
  EXPECT_TRUE(h.reloader.reload().applied);
  EXPECT_TRUE(h.applied.empty());
  ASSERT_EQ(h.lines.size(), 2u);
  EXPECT_EQ(h.lines[0].second, "reload: no reloadable setting changed");
  EXPECT_EQ(h.lines[1].second, "reload: changed but NOT applied, restart latchkeyd to apply: data");
}

// Test the limit policy swap: a new policy is seen by the next lookup.
TEST(ReloadableLimitPolicy, ReplaceIsSeenByTheNextLookup) {
  Config c;
  c.rate_limit_per_minute = 60;
  c.role_limits.push_back({"r", 5, std::nullopt});
  ReloadableLimitPolicy policy(make_limit_policy(c, {}));
  EXPECT_EQ(policy.for_key("k", "").requests_per_minute, 60);
  EXPECT_EQ(policy.for_key("k", "r").requests_per_minute, 5);
  c.rate_limit_per_minute = 7;
  c.role_limits.clear();
  policy.replace(make_limit_policy(c, {}));
  EXPECT_EQ(policy.for_key("k", "").requests_per_minute, 7);
  EXPECT_EQ(policy.for_key("k", "r").requests_per_minute, 7);
}

// Test the data directory check: private or missing is quiet, group or
// other permissions are named with the fix.
TEST(DataDir, WarnsWhenGroupOrOthersHaveAccess) {
  const std::string dir = ::testing::TempDir() + "/latchkeyd-datadir-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(data_dir_permission_warning(dir), "");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  EXPECT_EQ(data_dir_permission_warning(dir), "");
  ASSERT_EQ(::chmod(dir.c_str(), 0750), 0);
  EXPECT_EQ(data_dir_permission_warning(dir),
            "the data directory " + dir +
                " is mode 0750: group and others can list it, and it holds the private signing "
                "keys. Run: chmod 700 " +
                dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0701), 0);
  EXPECT_NE(data_dir_permission_warning(dir), "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace latchkey::server
