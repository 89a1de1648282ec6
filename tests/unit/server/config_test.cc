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

// Test that IPv6 listen addresses parse.
TEST_F(ConfigTest, Ipv6Listen) {
  auto c = load({"--listen", "[::1]:9000"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->config.host(), "::1");
  EXPECT_EQ(c->config.port(), 9000);
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
