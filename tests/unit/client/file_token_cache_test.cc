#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "latchkey/client/account_token_source.h"
#include "latchkey/client/token_cache.h"
#include "unit/client/fake_account_server.h"

namespace latchkey::client {
namespace {

namespace fs = std::filesystem;

class FileTokenCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "latchkey-cache-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    path_ = root_ / "nested" / "latchkey" / "token-cli_x.json";
  }
  void TearDown() override { fs::remove_all(root_); }

  static mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  void write_file(const std::string& text) {
    fs::create_directories(path_.parent_path());
    std::ofstream(path_) << text;
  }

  fs::path root_;
  fs::path path_;
};

// Test that a stored token lands in a 0600 file inside 0700 directories and
// reads back identically from a fresh cache object (i.e. after a restart).
TEST_F(FileTokenCacheTest, StoresPrivatelyAndSurvivesReload) {
  const Token token{"lk_at_abcdefghijklmnop", 1'795'003'600};
  {
    FileTokenCache cache(path_);
    ASSERT_TRUE(cache.store(token).has_value());
  }
  EXPECT_EQ(mode_of(path_), 0600u);
  EXPECT_EQ(mode_of(path_.parent_path()), 0700u);
  EXPECT_EQ(mode_of(path_.parent_path().parent_path()), 0700u);
  FileTokenCache reloaded(path_);
  EXPECT_EQ(reloaded.load(), token);
}

// Test that storing twice replaces the token and leaves no temporary files.
TEST_F(FileTokenCacheTest, ReplacesAtomicallyWithoutLeftovers) {
  FileTokenCache cache(path_);
  ASSERT_TRUE(cache.store({"lk_at_first000000000", 1}).has_value());
  ASSERT_TRUE(cache.store({"lk_at_second00000000", 2}).has_value());
  EXPECT_EQ(cache.load(), (Token{"lk_at_second00000000", 2}));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(path_.parent_path())) {
    ++files;
    EXPECT_EQ(entry.path(), path_);
  }
  EXPECT_EQ(files, 1);
}

// Test that a missing file reads as "no token".
TEST_F(FileTokenCacheTest, MissingFileIsEmpty) {
  FileTokenCache cache(path_);
  EXPECT_FALSE(cache.load().has_value());
  EXPECT_TRUE(cache.clear().has_value());
}

// Test that corrupt or foreign content reads as "no token" rather than failing.
TEST_F(FileTokenCacheTest, CorruptFileIsIgnored) {
  for (const std::string& text : std::vector<std::string>{
           "", "{", "[]", "null", R"({"access_token":"x"})", R"({"access_token":1,"expires_at":2})",
           R"({"access_token":"a b","expires_at":2})", R"({"access_token":"x","expires_at":"2"})",
           std::string("\0\1\2garbage", 10)}) {
    write_file(text);
    FileTokenCache cache(path_);
    EXPECT_FALSE(cache.load().has_value()) << text;
  }
}

// Test that a token source over a corrupt cache file obtains a new token and
// repairs the file instead of failing.
TEST_F(FileTokenCacheTest, TokenSourceRecoversFromCorruptFile) {
  write_file("{ this is not json");
  testing::FakeAccountServer server;
  AccountTokenSource source({.base_url = testing::kBaseUrl,
                             .credentials = {testing::kClientId, testing::kClientSecret},
                             .transport = server.transport(),
                             .cache = std::make_shared<FileTokenCache>(path_),
                             .clock = [] { return std::int64_t{1'795'000'000}; }});
  auto token = source.get();
  ASSERT_TRUE(token.has_value()) << token.error().message();
  EXPECT_EQ(server.token_posts(), 1u);
  EXPECT_EQ(FileTokenCache(path_).load(), *token);
  EXPECT_EQ(mode_of(path_), 0600u);
}

// Test that a second process (a new source over the same file) reuses the
// cached token without a POST.
TEST_F(FileTokenCacheTest, TokenSourceReusesTokenAcrossProcesses) {
  testing::FakeAccountServer server;
  const auto make = [&] {
    return AccountTokenSource({.base_url = testing::kBaseUrl,
                               .credentials = {testing::kClientId, testing::kClientSecret},
                               .transport = server.transport(),
                               .cache = std::make_shared<FileTokenCache>(path_),
                               .clock = [] { return std::int64_t{1'795'000'000}; }});
  };
  auto first = make().get();
  auto second = make().get();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->access_token, second->access_token);
  EXPECT_EQ(server.token_posts(), 1u);
}

// Test that forget() removes the file.
TEST_F(FileTokenCacheTest, ForgetClearsTheFile) {
  testing::FakeAccountServer server;
  AccountTokenSource source({.base_url = testing::kBaseUrl,
                             .credentials = {testing::kClientId, testing::kClientSecret},
                             .transport = server.transport(),
                             .cache = std::make_shared<FileTokenCache>(path_)});
  ASSERT_TRUE(source.get().has_value());
  ASSERT_TRUE(fs::exists(path_));
  ASSERT_TRUE(source.forget().has_value());
  EXPECT_FALSE(fs::exists(path_));
}

// Test that an unwritable cache is reported through on_cache_error, without
// the token, and the token is still handed out.
TEST_F(FileTokenCacheTest, UnwritableCacheIsAWarningNotAFailure) {
  write_file("");
  const fs::path blocked = path_ / "token.json";  // path_ is a file, not a directory
  testing::FakeAccountServer server;
  std::vector<std::string> warnings;
  AccountTokenSource source({.base_url = testing::kBaseUrl,
                             .credentials = {testing::kClientId, testing::kClientSecret},
                             .transport = server.transport(),
                             .cache = std::make_shared<FileTokenCache>(blocked),
                             .on_cache_error = [&warnings](const ClientError& error) {
                               warnings.push_back(error.message());
                             }});
  auto token = source.get();
  ASSERT_TRUE(token.has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].find(token->access_token), std::string::npos);
  EXPECT_EQ(warnings[0].find(testing::kClientSecret), std::string::npos);
}

}  // namespace
}  // namespace latchkey::client
