// The bootstrap file is written atomically and never replaces a file that
// latchkeyd did not write (server/bootstrap.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server/bootstrap.h"

namespace latchkey::server {
namespace {

namespace fs = std::filesystem;

class BootstrapFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-bootstrap-file-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/bootstrap.json";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  const IssuedClientCredential credential_{"usr_1", "cli_1", "lk_sec_one"};
  std::string dir_;
  std::string path_;
};

// Test that the file holds the four fields, mode 0600, and no temporary is left.
TEST_F(BootstrapFileTest, WritesTheCredentialPrivately) {
  ASSERT_TRUE(write_bootstrap_file(path_, "http://127.0.0.1:1", credential_));
  const auto j = nlohmann::json::parse(read());
  EXPECT_EQ(j["url"], "http://127.0.0.1:1");
  EXPECT_EQ(j["user_id"], "usr_1");
  EXPECT_EQ(j["client_id"], "cli_1");
  EXPECT_EQ(j["client_secret"], "lk_sec_one");
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));
}

// Test that an earlier bootstrap document, an empty file and a stale
// temporary are replaced.
TEST_F(BootstrapFileTest, ReplacesAnEarlierBootstrapDocument) {
  ASSERT_TRUE(write_bootstrap_file(path_, "u", credential_));
  { std::ofstream(path_ + ".tmp") << "{\"client_secret\": \"lk_sec_par"; }
  ASSERT_TRUE(write_bootstrap_file(path_, "u", {"usr_1", "cli_1", "lk_sec_two"}));
  EXPECT_EQ(nlohmann::json::parse(read())["client_secret"], "lk_sec_two");
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));
  { std::ofstream truncate(path_); }
  ASSERT_TRUE(write_bootstrap_file(path_, "u", credential_));
  EXPECT_EQ(nlohmann::json::parse(read())["client_secret"], "lk_sec_one");
}

// Test that other content, a symlink and a directory are never replaced.
TEST_F(BootstrapFileTest, NeverReplacesAForeignFile) {
  { std::ofstream(path_) << "precious\n"; }
  auto refused = write_bootstrap_file(path_, "u", credential_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(read(), "precious\n");
  EXPECT_EQ(refused.error().description.find("lk_sec_"), std::string::npos);

  const std::string target = dir_ + "/target";
  { std::ofstream(target) << "{\"client_id\": \"x\", \"client_secret\": \"y\"}"; }
  const std::string link = dir_ + "/link.json";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(write_bootstrap_file(link, "u", credential_));
  EXPECT_TRUE(fs::is_symlink(link));

  const std::string directory = dir_ + "/a-directory";
  fs::create_directory(directory);
  EXPECT_FALSE(write_bootstrap_file(directory, "u", credential_));
  EXPECT_TRUE(fs::is_directory(directory));
}

// Test that a directory that does not exist is a clear kUnavailable.
TEST_F(BootstrapFileTest, UnwritablePathIsUnavailable) {
  auto refused = write_bootstrap_file(dir_ + "/missing/bootstrap.json", "u", credential_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

// Test that the banner holds the URL, the Client ID and the secret once.
TEST_F(BootstrapFileTest, BannerShowsTheCredentialOnce) {
  const std::string banner = credential_banner("first start.", "http://h:1", credential_);
  EXPECT_NE(banner.find("http://h:1"), std::string::npos);
  EXPECT_NE(banner.find("cli_1"), std::string::npos);
  const auto at = banner.find("lk_sec_one");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(banner.find("lk_sec_one", at + 1), std::string::npos);
}

// Test that in JSON format the credentials are one JSON line with the log
// keys, holding the secret only when no bootstrap file holds it.
TEST_F(BootstrapFileTest, JsonLineHoldsTheSecretOnlyWithoutAFile) {
  const std::string time = "2026-12-05T01:02:03.456Z";
  const std::string with_file = credential_json_line(time, "http://h:1", credential_, path_);
  ASSERT_TRUE(with_file.ends_with("}\n"));
  EXPECT_EQ(with_file.find('\n'), with_file.size() - 1);  // one line
  const auto j = nlohmann::json::parse(with_file);
  EXPECT_EQ(j["time"], time);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["logger"], "bootstrap");
  EXPECT_EQ(j["client_id"], "cli_1");
  EXPECT_EQ(j["user_id"], "usr_1");
  EXPECT_EQ(j["url"], "http://h:1");
  EXPECT_EQ(j["bootstrap_file"], path_);
  EXPECT_EQ(with_file.find("lk_sec_one"), std::string::npos);

  const auto alone =
      nlohmann::json::parse(credential_json_line(time, "http://h:1", credential_, ""));
  EXPECT_EQ(alone["client_secret"], "lk_sec_one");
  EXPECT_FALSE(alone.contains("bootstrap_file"));
}

}  // namespace
}  // namespace latchkey::server
