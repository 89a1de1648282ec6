// Tests of the [webhooks] table (docs/webhooks.md): its values and
// defaults, errors at FILE:LINE:COLUMN, the URL rule (https, or http to
// loopback only) and how the secret is read.
#include "server/webhook_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "server/config.h"
#include "server/config_diff.h"

namespace latchkey::server {
namespace {

// Test the defaults without the table, and every key with it.
TEST(WebhookConfig, DefaultsAndValues) {
  auto none = config_from_toml("");
  ASSERT_TRUE(none) << none.error().description;
  EXPECT_FALSE(none->webhooks.enabled);

  auto minimal = config_from_toml("[webhooks]\nurl = \"https://hooks.example.com/latchkey\"\n");
  ASSERT_TRUE(minimal) << minimal.error().description;
  EXPECT_TRUE(minimal->webhooks.enabled);
  EXPECT_EQ(minimal->webhooks.url, "https://hooks.example.com/latchkey");
  EXPECT_EQ(minimal->webhooks.max_attempts, 20);
  EXPECT_EQ(minimal->webhooks.timeout_seconds, 10);
  EXPECT_EQ(minimal->webhooks.retention_days, 30);
  EXPECT_TRUE(minimal->webhooks.events.empty());
  EXPECT_TRUE(minimal->webhooks.secret_file.empty());

  auto full = config_from_toml(
      "[webhooks]\nurl = \"http://127.0.0.1:9000/hook\"\nsecret_file = \"/etc/s\"\n"
      "events = [\"key.created\", \"user.disabled\", \"key.created\"]\nmax_attempts = 5\n"
      "timeout_seconds = 3\nretention_days = 7\n");
  ASSERT_TRUE(full) << full.error().description;
  EXPECT_EQ(full->webhooks.secret_file, "/etc/s");
  EXPECT_EQ(full->webhooks.events, (std::vector<std::string>{"key.created", "user.disabled"}));
  EXPECT_EQ(full->webhooks.max_attempts, 5);
  EXPECT_EQ(full->webhooks.timeout_seconds, 3);
  EXPECT_EQ(full->webhooks.retention_days, 7);
}

// Test that mistakes are refused where they are, as FILE:LINE:COLUMN.
TEST(WebhookConfig, ErrorsNameTheirPlace) {
  const std::map<std::string, std::string> cases = {
      {"[webhooks]\nurl = \"https://h.example\"\nevents = [\"key.created\", \"key.exploded\"]\n",
       "<string>:3:26: webhooks.events: unknown event type \"key.exploded\" (known: key.created"},
      {"[webhooks]\nurl = \"http://hooks.example.com/x\"\n",
       "<string>:2:7: webhooks.url: plain http is allowed only to a loopback address"},
      {"[webhooks]\nurl = \"http://10.0.0.1/x\"\n", "<string>:2:7: webhooks.url: plain http"},
      {"[webhooks]\nurl = \"ftp://h.example/x\"\n", "<string>:2:7: webhooks.url must be"},
      {"[webhooks]\nurl = \"https://user:pw@h.example/x\"\n",
       "<string>:2:7: webhooks.url must not carry user-info"},
      {"[webhooks]\nurl = \"https://h.example/x?token=1\"\n",
       "<string>:2:7: webhooks.url must not have a query"},
      {"[webhooks]\nsecret_file = \"/s\"\n", "<string>:1:1: webhooks.url is required"},
      {"[webhooks]\nurl = \"https://h.example\"\nsecret = \"inline\"\n",
       "<string>:3:1: unknown key \"webhooks.secret\""},
      {"[webhooks]\nurl = \"https://h.example\"\nmax_attempts = 0\n",
       "<string>:3:16: webhooks.max_attempts must be between 1 and 100"},
      {"[webhooks]\nurl = \"https://h.example\"\ntimeout_seconds = \"10\"\n",
       "<string>:3:19: webhooks.timeout_seconds must be an integer"},
      {"webhooks = \"https://h.example\"\n", "<string>:1:12: webhooks must be a table"},
  };
  for (const auto& [toml, expected] : cases) {
    auto c = config_from_toml(toml);
    ASSERT_FALSE(c) << toml;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidRequest);
    EXPECT_TRUE(c.error().description.starts_with(expected))
        << toml << "\n  got: " << c.error().description;
  }
}

// Test the URL rule directly: https anywhere, http only to loopback.
TEST(WebhookConfig, PlainHttpOnlyToLoopback) {
  for (const char* ok :
       {"https://hooks.example.com/x", "https://10.0.0.1:8443/", "http://127.0.0.1:9000/hook",
        "http://127.8.9.10/x", "http://[::1]:80/x", "http://localhost:9000/x"}) {
    EXPECT_EQ(webhook_url_problem(ok), "") << ok;
  }
  for (const char* refused :
       {"http://hooks.example.com/x", "http://192.168.1.2/x", "http://[::2]/x",
        "http://localhost.example.com/x", "https://", "http://127.0.0.1.evil.example/x"}) {
    EXPECT_NE(webhook_url_problem(refused), "") << refused;
  }
}

// Test that a SIGHUP reload reports a change to [webhooks] as needing a
// restart (the deliverer and its secret are built once at start-up).
TEST(WebhookConfig, ChangeNeedsRestart) {
  const Config running;
  Config next = running;
  next.webhooks.enabled = true;
  next.webhooks.url = "https://hooks.example.com/x";
  const ConfigDiff diff = diff_config(running, next);
  EXPECT_TRUE(diff.reloadable.empty());
  EXPECT_EQ(diff.needs_restart, std::vector<std::string>{"webhooks"});
}

class WebhookSecret : public ::testing::Test {
 protected:
  std::string write(const std::string& content, mode_t mode) {
    const std::string path =
        ::testing::TempDir() + "/latchkey-webhook-secret-" + std::to_string(getpid());
    ::unlink(path.c_str());
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& p : paths_) ::unlink(p.c_str());
  }
  static std::optional<std::string> no_env(const std::string&) { return std::nullopt; }
  std::vector<std::string> paths_;
};

// Test that a 0600 file is read (trailing newline trimmed) and preferred to
// the environment; a file readable by group or others is refused, and the
// message never holds the secret.
TEST_F(WebhookSecret, FileMustBePrivate) {
  const std::string value = "0123456789abcdef-file";
  WebhookConfig config;
  config.secret_file = write(value + "\n", 0600);
  auto env = [](const std::string&) -> std::optional<std::string> { return "from-the-env-123456"; };
  auto read = read_webhook_secret(config, env);
  ASSERT_TRUE(read) << read.error().description;
  EXPECT_EQ(*read, value);

  config.secret_file = write(value, 0640);
  auto refused = read_webhook_secret(config, env);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().description.find("has mode 0640"), std::string::npos);
  EXPECT_EQ(refused.error().description.find(value), std::string::npos);

  config.secret_file = "/nonexistent/latchkey-secret";
  EXPECT_FALSE(read_webhook_secret(config, env));
}

// Test the environment fallback, and that a missing or short secret is
// refused.
TEST_F(WebhookSecret, EnvironmentAndLength) {
  WebhookConfig config;
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "LATCHKEY_WEBHOOK_SECRET") return "env-secret-0123456789";
    return std::nullopt;
  };
  auto read = read_webhook_secret(config, env);
  ASSERT_TRUE(read) << read.error().description;
  EXPECT_EQ(*read, "env-secret-0123456789");
  auto missing = read_webhook_secret(config, no_env);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().description.find("LATCHKEY_WEBHOOK_SECRET"), std::string::npos);
  config.secret_file = write("short", 0600);
  auto short_one = read_webhook_secret(config, no_env);
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().description.find("at least 16 bytes"), std::string::npos);
  EXPECT_EQ(short_one.error().description.find("short\""), std::string::npos);
}

// Test that only one trailing newline is removed: other whitespace is part
// of the secret (a secret ending in spaces used to lose them silently).
TEST_F(WebhookSecret, OnlyOneTrailingNewlineIsRemoved) {
  WebhookConfig config;
  config.secret_file = write("0123456789abcdef \t\n", 0600);
  auto spaced = read_webhook_secret(config, no_env);
  ASSERT_TRUE(spaced) << spaced.error().description;
  EXPECT_EQ(*spaced, "0123456789abcdef \t");
  config.secret_file = write("0123456789abcdef\r\n", 0600);
  EXPECT_EQ(read_webhook_secret(config, no_env).value(), "0123456789abcdef");
  config.secret_file = write("0123456789abcdef\n\n", 0600);
  EXPECT_EQ(read_webhook_secret(config, no_env).value(), "0123456789abcdef\n");
}

// Test that the secret taken from the process environment is removed from
// it, so that /proc/<pid>/environ and child processes do not hold it.
TEST_F(WebhookSecret, TakenFromTheEnvironmentAndUnset) {
  WebhookConfig config;
  ASSERT_EQ(::setenv("LATCHKEY_WEBHOOK_SECRET", "env-secret-0123456789\n", 1), 0);
  auto taken = take_webhook_secret(config);
  ASSERT_TRUE(taken) << taken.error().description;
  EXPECT_EQ(*taken, "env-secret-0123456789");
  EXPECT_EQ(std::getenv("LATCHKEY_WEBHOOK_SECRET"), nullptr);

  // Unset as well when a secret_file is used instead.
  ASSERT_EQ(::setenv("LATCHKEY_WEBHOOK_SECRET", "env-secret-0123456789", 1), 0);
  config.secret_file = write("0123456789abcdef-file\n", 0600);
  EXPECT_EQ(take_webhook_secret(config).value(), "0123456789abcdef-file");
  EXPECT_EQ(std::getenv("LATCHKEY_WEBHOOK_SECRET"), nullptr);
}

}  // namespace
}  // namespace latchkey::server
