// The usage-per-key settings (docs/key-usage.md): defaults, TOML, flags and
// bounds; all restart-only (config_diff).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/config_diff.h"

namespace latchkey::server {
namespace {

Result<ParsedCommandLine> load(std::vector<std::string> args) {
  args.insert(args.begin(), "latchkeyd");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return load_config(static_cast<int>(argv.size()), argv.data());
}

// Test the defaults: 90 days of daily rows, 14 of hourly, and no per-key
// metrics (/metrics needs no token, so key ids there are opt-in).
TEST(UsageConfig, Defaults) {
  auto c = load({});
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.usage_retention_days, 90);
  EXPECT_EQ(c->config.usage_hourly_retention_days, 14);
  EXPECT_EQ(c->config.metrics_top_keys, 0);
}

// Test the TOML keys and the flags, and that out-of-range values stop the
// start with a message naming the setting.
TEST(UsageConfig, FileFlagsAndBounds) {
  const std::string path =
      ::testing::TempDir() + "/latchkeyd-usage-" + std::to_string(getpid()) + ".toml";
  std::ofstream(path) << "usage_retention_days = 30\nusage_hourly_retention_days = 7\n"
                         "metrics_top_keys = 5\n";
  auto file = load({"--config", path});
  std::remove(path.c_str());
  ASSERT_TRUE(file) << file.error().description;
  EXPECT_EQ(file->config.usage_retention_days, 30);
  EXPECT_EQ(file->config.usage_hourly_retention_days, 7);
  EXPECT_EQ(file->config.metrics_top_keys, 5);
  auto flags = load({"--usage-retention-days=365", "--metrics-top-keys=25"});
  ASSERT_TRUE(flags) << flags.error().description;
  EXPECT_EQ(flags->config.usage_retention_days, 365);
  EXPECT_EQ(flags->config.metrics_top_keys, 25);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--usage-retention-days=0"},
        {"--usage-retention-days=3651"},
        {"--usage-retention-days=10", "--usage-hourly-retention-days=11"},
        {"--usage-hourly-retention-days=0"},
        {"--metrics-top-keys=-1"},
        {"--metrics-top-keys=1001"}}) {
    auto refused = load(bad);
    ASSERT_FALSE(refused) << bad[0];
    EXPECT_NE(refused.error().description.find(
                  bad.back().substr(2, 7) == "metrics" ? "metrics_top_keys" : "usage_"),
              std::string::npos)
        << refused.error().description;
  }
}

// Test that a change of any of them needs a restart.
TEST(UsageConfig, RestartOnly) {
  Config running;
  Config next = running;
  next.usage_retention_days = 30;
  next.usage_hourly_retention_days = 3;
  next.metrics_top_keys = 5;
  const ConfigDiff diff = diff_config(running, next);
  EXPECT_TRUE(diff.reloadable.empty());
  EXPECT_EQ(diff.needs_restart,
            (std::vector<std::string>{"usage_retention_days", "usage_hourly_retention_days",
                                      "metrics_top_keys"}));
}

}  // namespace
}  // namespace latchkey::server
