// Tests of the OAuth settings of latchkeyd's configuration
// (oauth_access_token_ttl, public_url; docs/oauth.md).
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

// Test the defaults: one-hour tokens, metadata URLs from the Host header.
TEST(OAuthConfig, Defaults) {
  auto c = load({});
  ASSERT_TRUE(c) << c.error().description;
  EXPECT_EQ(c->config.oauth_access_token_ttl_seconds, 3600);
  EXPECT_EQ(c->config.public_url, "");
}

// Test both keys from flags and from the TOML file.
TEST(OAuthConfig, FlagsAndFile) {
  auto flags = load({"--oauth-access-token-ttl", "60", "--public-url", "https://a.example"});
  ASSERT_TRUE(flags) << flags.error().description;
  EXPECT_EQ(flags->config.oauth_access_token_ttl_seconds, 60);
  EXPECT_EQ(flags->config.public_url, "https://a.example");

  const std::string path =
      ::testing::TempDir() + "/latchkeyd-oauth-" + std::to_string(getpid()) + ".toml";
  std::ofstream(path) << "oauth_access_token_ttl = 120\npublic_url = \"http://b.example:8080\"\n";
  auto file = load({"--config", path});
  std::remove(path.c_str());
  ASSERT_TRUE(file) << file.error().description;
  EXPECT_EQ(file->config.oauth_access_token_ttl_seconds, 120);
  EXPECT_EQ(file->config.public_url, "http://b.example:8080");
}

// Test that bad values are refused: TTL out of 1..86400, a public_url that
// is not an absolute http(s) URL or has a query or fragment.
TEST(OAuthConfig, RejectsBadValues) {
  EXPECT_FALSE(load({"--oauth-access-token-ttl", "0"}));
  EXPECT_FALSE(load({"--oauth-access-token-ttl", "86401"}));
  EXPECT_TRUE(load({"--oauth-access-token-ttl", "86400"}));
  for (const char* url : {"auth.example.com", "ftp://a.example", "https://a.example/?x=1",
                          "https://a.example/#f", "https://a example"}) {
    EXPECT_FALSE(load({"--public-url", url})) << url;
  }
}

}  // namespace
}  // namespace latchkey::server
