// The `store` setting (docs/postgresql.md): TOML, flag and environment,
// validated without ever echoing a password, and restart-only on reload.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
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

TEST(StoreConfig, DefaultIsTheEmbeddedSqlite) {
  auto c = load({});
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.store, "");
  EXPECT_EQ(c->config.store_pool_size, 16);
}

TEST(StoreConfig, FlagAndEnvironment) {
  auto flag = load({"--store", "postgres://lk@db:5432/latchkey", "--store-pool-size", "32"});
  ASSERT_TRUE(flag) << flag.error().description;
  EXPECT_EQ(flag->config.store, "postgres://lk@db:5432/latchkey");
  EXPECT_EQ(flag->config.store_pool_size, 32);
  setenv("LATCHKEY_STORE", "host=db dbname=latchkey", 1);
  auto env = load({});
  unsetenv("LATCHKEY_STORE");
  ASSERT_TRUE(env) << env.error().description;
  EXPECT_EQ(env->config.store, "host=db dbname=latchkey");
}

TEST(StoreConfig, Toml) {
  const std::string path =
      ::testing::TempDir() + "/latchkeyd-store-" + std::to_string(getpid()) + ".toml";
  std::ofstream(path) << "store = \"postgresql://lk@127.0.0.1:5432/lk\"\nstore_pool_size = 4\n";
  auto c = load({"--config", path});
  std::remove(path.c_str());
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.store, "postgresql://lk@127.0.0.1:5432/lk");
  EXPECT_EQ(c->config.store_pool_size, 4);
}

TEST(StoreConfig, UnknownSchemeIsRefusedWithoutItsPassword) {
  auto c = load({"--store", "mysql://lk:hunter2@db/lk"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().description.find("store"), std::string::npos);
  EXPECT_EQ(c.error().description.find("hunter2"), std::string::npos);
}

TEST(StoreConfig, PoolSizeIsBounded) {
  EXPECT_FALSE(load({"--store-pool-size", "0"}));
  EXPECT_FALSE(load({"--store-pool-size", "1001"}));
}

TEST(StoreConfig, ChangingTheStoreNeedsARestart) {
  Config running;
  Config next;
  next.store = "postgres://lk@db/lk";
  next.store_pool_size = 8;
  const ConfigDiff diff = diff_config(running, next);
  EXPECT_TRUE(diff.reloadable.empty());
  EXPECT_EQ(diff.needs_restart, (std::vector<std::string>{"store", "store_pool_size"}));
}

}  // namespace
}  // namespace latchkey::server
