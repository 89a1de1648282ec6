// The leak scanner (keys/secret_scanner.h) and `latchkey scan`: hits need a
// known prefix AND a valid checksum; same-shape strings with a bad checksum
// are ignored.
#include "keys/secret_scanner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "core/secret.h"
#include "support/counter_random.h"

namespace latchkey::keys {
namespace {

namespace fs = std::filesystem;
using testing::CounterRandom;

// Same shape as `secret` with its checksum broken.
std::string bad_checksum(std::string secret) {
  char& last = secret.back();
  last = last == 'A' ? 'B' : 'A';
  return secret;
}

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latchkey-scan-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << text;
  }

  CounterRandom random_{7};
  fs::path dir_;
};

// Test that every kind is found with its line and masked form only.
TEST_F(ScannerTest, FindsEveryKindByPrefixAndChecksum) {
  const std::string key = generate_secret(SecretKind::kApiKey, random_);
  const std::string sec = generate_secret(SecretKind::kClientSecret, random_);
  const std::string at = generate_secret(SecretKind::kAccessToken, random_);
  const std::string text =
      "line one\nexport KEY=" + key + "\n\nsecret: \"" + sec + "\" token " + at + "\n";
  const auto found = scan_text(text);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].line, 2u);
  EXPECT_EQ(found[0].kind, SecretKind::kApiKey);
  EXPECT_EQ(found[0].masked, mask_secret(key));
  EXPECT_EQ(found[1].line, 4u);
  EXPECT_EQ(found[1].kind, SecretKind::kClientSecret);
  EXPECT_EQ(found[2].line, 4u);
  EXPECT_EQ(found[2].kind, SecretKind::kAccessToken);
}

// Test that the web console's secrets (session cookie lk_cs_, invitation
// lk_inv_) are found too, named, and masked like the others.
TEST_F(ScannerTest, FindsConsoleSecrets) {
  const std::string cookie = generate_secret(SecretKind::kConsoleSession, random_);
  const std::string invitation = generate_secret(SecretKind::kInvitation, random_);
  const auto found = scan_text("Cookie: latchkey_session=" + cookie + "\n" +
                               "https://h/console/invite#" + invitation + "\n");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].kind, SecretKind::kConsoleSession);
  EXPECT_EQ(secret_kind_name(found[0].kind), "console_session");
  EXPECT_EQ(found[0].masked, mask_secret(cookie));
  EXPECT_EQ(found[1].kind, SecretKind::kInvitation);
  EXPECT_EQ(secret_kind_name(found[1].kind), "invitation");
  EXPECT_EQ(found[1].line, 2u);
  EXPECT_EQ(redact_secrets("x " + cookie + " y").find(cookie), std::string::npos);
}

// Test that same-shape strings with a bad checksum, truncated or extended
// ones and lookalike prefixes are not reported.
TEST_F(ScannerTest, IgnoresSameShapeWithBadChecksum) {
  const std::string key = generate_secret(SecretKind::kApiKey, random_);
  const std::string text = bad_checksum(key) + "\n" + key.substr(0, key.size() - 1) + "\n" + key +
                           "Z\n" + "lk_key_\nlk_\nlk_tok_" + key.substr(7) + "\n";
  EXPECT_TRUE(scan_text(text).empty());
  EXPECT_TRUE(scan_text("").empty());
}

// Test that directories are walked recursively, .git and binary files are
// skipped, and findings name file and line.
TEST_F(ScannerTest, WalksDirectoriesSkippingGitAndBinaries) {
  const std::string key = generate_secret(SecretKind::kApiKey, random_);
  write("src/config.yaml", "a: 1\napi_key: " + key + "\n");
  write("src/clean.txt", "nothing " + bad_checksum(key) + "\n");
  write(".git/objects/leak", key);
  write("blob.bin", std::string("\0\1\2", 3) + key);
  std::vector<SecretFinding> found;
  std::vector<std::string> errors;
  const ScanSummary summary = scan_paths(
      {dir_}, [&](const SecretFinding& f) { found.push_back(f); },
      [&](const fs::path& p, const std::string&) { errors.push_back(p.string()); });
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(summary.findings, 1u);
  EXPECT_EQ(format_finding(found[0]),
            (dir_ / "src/config.yaml").string() + ":2: api_key " + mask_secret(key));
}

// Test `latchkey scan`: exit 1 and the masked finding on a hit, 0 when
// clean, 2 for a missing path; the full secret is never printed.
TEST_F(ScannerTest, CliExitCodes) {
  const std::string key = generate_secret(SecretKind::kApiKey, random_);
  write("leak.env", "KEY=" + key + "\n");
  write("clean/ok.env", "KEY=" + bad_checksum(key) + "\n");
  const cli::CliEnvironment env{
      .getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
      .make_transport = nullptr,
      .clock = nullptr};
  auto run = [&](std::vector<std::string> args, std::string* out_text) {
    std::ostringstream out, err;
    const int code = cli::run_cli(args, env, out, err);
    *out_text = out.str() + err.str();
    return code;
  };
  std::string output;
  EXPECT_EQ(run({"scan", dir_.string()}, &output), 1);
  EXPECT_NE(output.find("leak.env:1: api_key " + mask_secret(key)), std::string::npos);
  EXPECT_EQ(output.find(key), std::string::npos);
  EXPECT_EQ(run({"scan", (dir_ / "clean").string()}, &output), 0);
  EXPECT_EQ(run({"scan", (dir_ / "missing").string()}, &output), 2);
}

}  // namespace
}  // namespace latchkey::keys
