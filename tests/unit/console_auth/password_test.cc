// Console passwords (console_auth/password.h): argon2id hashing and the
// length rules.
#include "console_auth/password.h"

#include <gtest/gtest.h>

#include <string>

#include "support/counter_random.h"

namespace latchkey::console_auth {
namespace {

// Test that a hash verifies its own password only, and is an argon2id
// string with a fresh salt each time.
TEST(Password, HashVerifiesOnlyItsPassword) {
  auto hash = hash_password("correct horse battery");
  ASSERT_TRUE(hash) << hash.error().description;
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(verify_password(*hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(*hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(*hash, ""));
  auto again = hash_password("correct horse battery");
  ASSERT_TRUE(again);
  EXPECT_NE(*hash, *again);  // salted
}

// Test that a malformed or empty hash never verifies.
TEST(Password, MalformedHashIsAMismatch) {
  EXPECT_FALSE(verify_password("", "anything at all"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "anything at all"));
  EXPECT_FALSE(verify_password(std::string(500, 'x'), "anything at all"));
}

// Test the limits: at least 12 characters (code points, not bytes), at
// most 1024 bytes, each refusal with its reason.
TEST(Password, LengthRules) {
  EXPECT_TRUE(check_password_rules(std::string(12, 'a')));
  EXPECT_TRUE(check_password_rules(std::string(1024, 'a')));
  auto short_one = check_password_rules(std::string(11, 'a'));
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().reason, "password_too_short");
  EXPECT_EQ(short_one.error().description.find("aaaa"), std::string::npos);  // never echoed
  auto long_one = check_password_rules(std::string(1025, 'a'));
  ASSERT_FALSE(long_one);
  EXPECT_EQ(long_one.error().reason, "password_too_long");
  // 11 two-byte characters are 22 bytes but 11 characters: too short.
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += "\xc3\xa9";
  EXPECT_FALSE(check_password_rules(eleven));
  EXPECT_TRUE(check_password_rules(eleven + "\xc3\xa9"));
}

// Test that the dummy verification runs (and takes time like a real one).
TEST(Password, DummyVerificationCostsAVerification) {
  auto hash = hash_password("some password here");
  ASSERT_TRUE(hash);
  const auto t0 = std::chrono::steady_clock::now();
  (void)verify_password(*hash, "some other password");
  const auto real = std::chrono::steady_clock::now() - t0;
  verify_against_dummy("warm up the dummy");
  const auto t1 = std::chrono::steady_clock::now();
  verify_against_dummy("some other password");
  const auto dummy = std::chrono::steady_clock::now() - t1;
  // Same parameters: the same order of magnitude, even on a busy machine
  // (a skipped verification would be thousands of times faster).
  EXPECT_GT(dummy * 10, real);
  EXPECT_GT(real * 10, dummy);
}

// Test that generated passwords are 24 base62 characters and pass the rules.
TEST(Password, GeneratedPasswordsPassTheRules) {
  testing::CounterRandom random;
  const std::string a = generate_password(random);
  const std::string b = generate_password(random);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(check_password_rules(a));
}

}  // namespace
}  // namespace latchkey::console_auth
