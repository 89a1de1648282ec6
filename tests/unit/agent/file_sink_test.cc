#include "agent/file_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "latchkey/client/token_cache.h"
#include "temp_dir.h"

namespace latchkey::agent {
namespace {

using testing::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Test the two formats; the JSON one is what the SDK's FileTokenCache reads.
TEST(FileSinkTest, WritesBothFormats) {
  const client::Token token{"tok-value", 1'800'000'000};
  EXPECT_EQ(sink_content(token, SinkFormat::kText), "tok-value\n");
  EXPECT_EQ(sink_content(token, SinkFormat::kJson),
            "{\"access_token\":\"tok-value\",\"expires_at\":1800000000}\n");
  TempDir dir;
  const std::string path = dir.path() + "/token.json";
  ASSERT_TRUE(write_file_atomically(path, sink_content(token, SinkFormat::kJson)).has_value());
  client::FileTokenCache cache(path);
  EXPECT_EQ(cache.load(), token);
}

// Test that the file has mode 0600 even under a permissive umask and when it
// existed with a wider mode, and that no temporary file is left behind.
TEST(FileSinkTest, FileIsPrivateAndNoTemporaryRemains) {
  TempDir dir;
  const std::string path = dir.write("token", "old\n", 0644);
  const mode_t old_umask = ::umask(0);
  auto written = write_file_atomically(path, "new\n");
  ::umask(old_umask);
  ASSERT_TRUE(written.has_value()) << written.error().description;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(read_all(path), "new\n");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

// Test that a reader polling the file while it is rewritten only ever sees
// one of the complete contents, never a partial or empty file.
TEST(FileSinkTest, ReadersNeverSeeAPartialFile) {
  TempDir dir;
  const std::string path = dir.path() + "/token";
  std::set<std::string> contents;
  for (int i = 0; i < 30; ++i) {
    contents.insert(std::string(20'000 + i * 97, static_cast<char>('a' + i % 26)) + "\n");
  }
  ASSERT_TRUE(write_file_atomically(path, *contents.begin()).has_value());
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      if (!contents.contains(read_all(path))) ++bad;
      ++reads;
    }
  });
  for (int round = 0; round < 2; ++round) {
    for (const std::string& content : contents) {
      ASSERT_TRUE(write_file_atomically(path, content).has_value());
    }
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(bad.load(), 0);
}

// Test that a missing directory is an error naming the path, not a crash.
TEST(FileSinkTest, MissingDirectoryIsAnError) {
  auto written = write_file_atomically("/nonexistent-latchkey-dir/token", "x");
  ASSERT_FALSE(written.has_value());
  EXPECT_NE(written.error().description.find("/nonexistent-latchkey-dir/token"), std::string::npos);
  EXPECT_EQ(written.error().description.find("x\n"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::agent
