#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace latchkey::server {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* v :
         {"LATCHKEY_LISTEN", "LATCHKEY_DATA", "LATCHKEY_CONFIG", "LATCHKEY_ACCOUNT_TOKEN_TTL"}) {
      unsetenv(v);
    }
    for (const auto& p : paths_) std::remove(p.c_str());
  }
  Result<ParsedCommandLine> load(std::vector<std::string> args) {
    args.insert(args.begin(), "latchkeyd");
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    return load_config(static_cast<int>(argv.size()), argv.data());
  }
  // One file per process and test: ctest runs the tests of this suite in
  // parallel processes, and a shared path let one test read another's TOML.
  std::string write_toml(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string path = ::testing::TempDir() + "/latchkeyd-" + std::to_string(getpid()) + "-" +
                             info->name() + ".toml";
    paths_.push_back(path);
    std::ofstream(path) << text;
    return path;
  }

 private:
  std::vector<std::string> paths_;
};

// Test that defaults are sane: loopback, one-year tokens.
TEST_F(ConfigTest, Defaults) {
  auto c = load({});
  ASSERT_TRUE(c.has_value()) << c.error().description;
  EXPECT_EQ(c->config.host(), "127.0.0.1");
  EXPECT_EQ(c->config.port(), 8080);
  EXPECT_EQ(c->config.account_token_ttl_seconds, 31536000);
  EXPECT_FALSE(c->config.insecure_test_clock);
}

// Test that `recover-admin` is a subcommand taking the main options after
// it (and before it), and that serving stays the default.
TEST_F(ConfigTest, RecoverAdminSubcommand) {
  auto serve = load({"--data", "/tmp/a"});
  ASSERT_TRUE(serve.has_value()) << serve.error().description;
  EXPECT_FALSE(serve->recover_admin);

  auto after = load({"recover-admin", "--data", "/tmp/b", "--bootstrap-file", "/tmp/b.json"});
  ASSERT_TRUE(after.has_value()) << after.error().description;
  EXPECT_TRUE(after->recover_admin);
  EXPECT_FALSE(after->exit_now);
  EXPECT_EQ(after->config.data_dir, "/tmp/b");
  EXPECT_EQ(after->config.bootstrap_file, "/tmp/b.json");

  auto before = load({"--data", "/tmp/c", "recover-admin"});
  ASSERT_TRUE(before.has_value()) << before.error().description;
  EXPECT_TRUE(before->recover_admin);
  EXPECT_EQ(before->config.data_dir, "/tmp/c");

  auto unknown = load({"recover-everything"});
  ASSERT_TRUE(unknown.has_value());
  EXPECT_TRUE(unknown->exit_now);
  EXPECT_NE(unknown->exit_code, 0);
}

// Test that flags override the environment, which overrides the file.
TEST_F(ConfigTest, PrecedenceFileEnvFlags) {
  const std::string path = write_toml(
      "listen = \"127.0.0.1:1111\"\ndata = \"/tmp/from-file\"\naccount_token_ttl = 100\n");
  setenv("LATCHKEY_DATA", "/tmp/from-env", 1);
  setenv("LATCHKEY_ACCOUNT_TOKEN_TTL", "200", 1);
  auto c = load({"--config", path, "--account-token-ttl", "300"});
  ASSERT_TRUE(c.has_value()) << c.error().description;
  EXPECT_EQ(c->config.port(), 1111);                    // file
  EXPECT_EQ(c->config.data_dir, "/tmp/from-env");       // env over file
  EXPECT_EQ(c->config.account_token_ttl_seconds, 300);  // flag over env
}

// Test that mistakes are refused with a message instead of being ignored.
TEST_F(ConfigTest, RejectsBadValues) {
  EXPECT_FALSE(load({"--listen", "nohostport"}).has_value());
  EXPECT_FALSE(load({"--listen", "127.0.0.1:99999"}).has_value());
  EXPECT_FALSE(load({"--listen", "[]:8080"}).has_value());  // empty host (config_toml fuzz target)
  EXPECT_FALSE(load({"--account-token-ttl", "0"}).has_value());
  EXPECT_FALSE(load({"--tls-cert", "/x.pem"}).has_value());
  EXPECT_FALSE(load({"--log-level", "loud"}).has_value());
  auto typo = load({"--config", write_toml("listn = \"127.0.0.1:1\"\n")});
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().description.find("listn"), std::string::npos);
  EXPECT_FALSE(load({"--config", write_toml("listen = \n")}).has_value());
  EXPECT_FALSE(load({"--account-token-ttl", "999999999999"}).has_value());
}

// Test that a TOML value of the wrong type is refused, not ignored.
TEST_F(ConfigTest, RejectsWrongTypesInToml) {
  for (const char* text : {"listen = 8080\n", "account_token_ttl = \"1y\"\n",
                           "access_log = \"yes\"\n", "threads = 1.5\n"}) {
    auto c = load({"--config", write_toml(text)});
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().description.find("must be"), std::string::npos) << text;
  }
}

// Test that modules beyond the built-in six come from the file, and that a
// value of the wrong type is refused.
TEST_F(ConfigTest, ExtraModules) {
  auto c = load({"--config", write_toml("extra_modules = [\"REPORTS_EXPORT\"]\n")});
  ASSERT_TRUE(c.has_value()) << c.error().description;
  EXPECT_EQ(c->config.extra_modules, std::vector<std::string>{"REPORTS_EXPORT"});
  EXPECT_FALSE(load({"--config", write_toml("extra_modules = \"REPORTS_EXPORT\"\n")}).has_value());
}

// Test the connection limits (docs/security/connections.md): defaults (0:
// derived caps; 1000 requests and one hour per connection), TOML keys,
// environment and flags.
TEST_F(ConfigTest, ConnectionLimits) {
  auto d = load({});
  ASSERT_TRUE(d.has_value()) << d.error().description;
  EXPECT_EQ(d->config.max_connections, 0);
  EXPECT_EQ(d->config.max_connections_per_client, 0);
  EXPECT_EQ(d->config.max_requests_per_connection, 1000);
  EXPECT_EQ(d->config.max_connection_age_s, 3600);

  const std::string path = write_toml(
      "max_connections = 5000\nmax_connections_per_client = 100\n"
      "max_requests_per_connection = 0\nmax_connection_age_s = 600\n");
  auto f = load({"--config", path});
  ASSERT_TRUE(f.has_value()) << f.error().description;
  EXPECT_EQ(f->config.max_connections, 5000);
  EXPECT_EQ(f->config.max_connections_per_client, 100);
  EXPECT_EQ(f->config.max_requests_per_connection, 0);
  EXPECT_EQ(f->config.max_connection_age_s, 600);

  setenv("LATCHKEY_MAX_CONNECTIONS_PER_CLIENT", "200", 1);
  auto e = load({"--config", path, "--max-connections", "6000", "--max-requests-per-connection",
                 "50", "--max-connection-age-s", "0"});
  unsetenv("LATCHKEY_MAX_CONNECTIONS_PER_CLIENT");
  ASSERT_TRUE(e.has_value()) << e.error().description;
  EXPECT_EQ(e->config.max_connections, 6000);
  EXPECT_EQ(e->config.max_connections_per_client, 200);
  EXPECT_EQ(e->config.max_requests_per_connection, 50);
  EXPECT_EQ(e->config.max_connection_age_s, 0);
}

// Test that bad connection limits stop start-up with a message naming them.
TEST_F(ConfigTest, RejectsBadConnectionLimits) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"--max-connections", "-1"}, "max_connections"},
      {{"--max-connections", "10000001"}, "max_connections"},
      {{"--max-connections-per-client", "-5"}, "max_connections_per_client"},
      {{"--max-connections", "10", "--max-connections-per-client", "11"},
       "max_connections_per_client must not exceed max_connections"},
      {{"--max-requests-per-connection", "-1"}, "max_requests_per_connection"},
      {{"--max-connection-age-s", "2592001"}, "max_connection_age_s"}};
  for (const auto& [args, message] : cases) {
    auto c = load(args);
    ASSERT_FALSE(c.has_value()) << message;
    EXPECT_NE(c.error().description.find(message), std::string::npos) << c.error().description;
  }
  auto typed = load({"--config", write_toml("max_connections = \"many\"\n")});
  ASSERT_FALSE(typed.has_value());
  EXPECT_NE(typed.error().description.find("max_connections must be an integer"),
            std::string::npos);
  // The per-client cap alone may be anything: the derived global cap bounds it.
  EXPECT_TRUE(load({"--max-connections-per-client", "1000000"}).has_value());
}

// Test that IPv6 listen addresses parse.
TEST_F(ConfigTest, Ipv6Listen) {
  auto c = load({"--listen", "[::1]:9000"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->config.host(), "::1");
  EXPECT_EQ(c->config.port(), 9000);
}

// Test that a TOML document alone configures like a file (the entry point of
// the config_toml fuzz target): values over the defaults, the same refusals.
TEST(ConfigFromToml, ParsesAndValidatesAString) {
  auto c = config_from_toml("listen = \"127.0.0.1:1234\"\nmax_body_bytes = 1000\n");
  ASSERT_TRUE(c.has_value()) << c.error().description;
  EXPECT_EQ(c->port(), 1234);
  EXPECT_EQ(c->max_body_bytes, 1000);
  EXPECT_EQ(c->data_dir, Config{}.data_dir);
  for (const char* bad : {"listn = \"127.0.0.1:1\"\n", "listen = \"[]:80\"\n", "threads = \"2\"\n",
                          "listen = \n", "max_body_bytes = 0\n"}) {
    const auto refused = config_from_toml(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidRequest);
    EXPECT_TRUE(refused.error().description.starts_with("<string>:") ||
                refused.error().description.starts_with("listen must be") ||
                refused.error().description.starts_with("threads, sizes"))
        << refused.error().description;
  }
}

// Test that TOML errors name FILE:LINE:COLUMN (docs/configuration.md): a
// syntax error where the parser stopped, a value of the wrong type where the
// value is, an unknown key where the key is, also inside [[tables]].
TEST_F(ConfigTest, TomlErrorsNameFileLineAndColumn) {
  const std::string syntax = write_toml("listen = \"127.0.0.1:1\"\nthreads = = 2\n");
  auto refused = load({"--config", syntax});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidRequest);
  EXPECT_TRUE(refused.error().description.starts_with(syntax + ":2:11: "))
      << refused.error().description;

  const std::string type = write_toml("# a comment\nlisten = \"127.0.0.1:1\"\n  threads = \"2\"\n");
  refused = load({"--config", type});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().description, type + ":3:13: threads must be an integer");

  const std::string unknown = write_toml("listen = \"127.0.0.1:1\"\n\nlistn = 3\n");
  refused = load({"--config", unknown});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().description, unknown + ":3:1: unknown key \"listn\"");

  const std::string nested = write_toml(
      "[[gateway_routes]]\nmethod = \"GET\"\npath = \"/a/{x}\"\nupstream = 5\n"
      "action = \"authenticated\"\n");
  refused = load({"--config", nested});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().description,
            nested + ":4:12: gateway_routes[0]: upstream must be a string");
}

// Test that a file that cannot be read is named, with no made-up location.
TEST_F(ConfigTest, UnreadableFileIsNamed) {
  const std::string missing = ::testing::TempDir() + "/latchkeyd-no-such-file.toml";
  auto refused = load({"--config", missing});
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().description.starts_with(missing + ": "))
      << refused.error().description;
}

// Test the JWT issuer (docs/jwt.md): jwt_issuer when set, else public_url
// without trailing slashes, else the URL latchkeyd listens on.
TEST_F(ConfigTest, EffectiveIssuer) {
  auto plain = load({});
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->config.jwt_issuer.empty());
  EXPECT_EQ(effective_issuer(plain->config, "http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  auto proxied = load({"--public-url", "https://auth.example.com//"});
  ASSERT_TRUE(proxied.has_value());
  EXPECT_EQ(effective_issuer(proxied->config, "http://127.0.0.1:8080"), "https://auth.example.com");
  auto fixed =
      load({"--public-url", "https://auth.example.com", "--jwt-issuer", "urn:example:latchkey"});
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(effective_issuer(fixed->config, "http://127.0.0.1:8080"), "urn:example:latchkey");
}

}  // namespace
}  // namespace latchkey::server

namespace latchkey::server {
namespace {

// Test the age policy settings (docs/secret-age.md): defaults, TOML and
// flags, and that a hard maximum below the rotation age is a configuration
// error while 0 (off) is always accepted.
TEST(SecretAgeConfig, DefaultsParsingAndHardMaximumRule) {
  const Config defaults;
  EXPECT_EQ(defaults.secret_max_age_days, 90);
  EXPECT_EQ(defaults.secret_hard_max_age_days, 0);
  EXPECT_EQ(defaults.key_expiring_soon_days, 14);
  auto c = config_from_toml(
      "secret_max_age_days = 30\nsecret_hard_max_age_days = 45\nkey_expiring_soon_days = 7\n");
  ASSERT_TRUE(c.has_value()) << c.error().description;
  EXPECT_EQ(c->secret_max_age_days, 30);
  EXPECT_EQ(c->secret_hard_max_age_days, 45);
  EXPECT_EQ(c->key_expiring_soon_days, 7);
  EXPECT_TRUE(config_from_toml("secret_max_age_days = 30\nsecret_hard_max_age_days = 30\n"));
  EXPECT_TRUE(config_from_toml("secret_max_age_days = 0\nsecret_hard_max_age_days = 5\n"));
  auto below = config_from_toml("secret_max_age_days = 90\nsecret_hard_max_age_days = 60\n");
  ASSERT_FALSE(below);
  EXPECT_NE(below.error().description.find("secret_hard_max_age_days"), std::string::npos);
  EXPECT_FALSE(config_from_toml("secret_hard_max_age_days = 60\n"));  // default max is 90
  EXPECT_FALSE(config_from_toml("secret_max_age_days = -1\n"));
  EXPECT_FALSE(config_from_toml("key_expiring_soon_days = 400\n"));
  EXPECT_FALSE(config_from_toml("secret_max_age_days = \"90\"\n"));
}

}  // namespace
}  // namespace latchkey::server
