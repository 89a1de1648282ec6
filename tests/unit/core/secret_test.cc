#include "core/secret.h"

#include <gtest/gtest.h>

#include <set>

#include "support/counter_random.h"

namespace latchkey {
namespace {

// Test that generated secrets carry their prefix, fixed length and a valid checksum.
TEST(Secret, GeneratedSecretsAreWellFormed) {
  testing::CounterRandom random;
  for (auto kind : {SecretKind::kClientSecret, SecretKind::kApiKey, SecretKind::kAccessToken}) {
    const std::string s = generate_secret(kind, random);
    EXPECT_TRUE(s.starts_with(secret_prefix(kind)));
    EXPECT_EQ(s.size(), secret_prefix(kind).size() + kSecretBodyChars + kSecretChecksumChars);
    EXPECT_TRUE(is_well_formed_secret(s, kind));
    EXPECT_EQ(classify_secret(s), kind);
  }
}

// Test that a one-character typo anywhere is rejected by the checksum.
TEST(Secret, ChecksumCatchesEverySingleCharacterTypo) {
  testing::CounterRandom random;
  const std::string s = generate_secret(SecretKind::kAccessToken, random);
  for (std::size_t i = secret_prefix(SecretKind::kAccessToken).size(); i < s.size(); ++i) {
    std::string typo = s;
    typo[i] = typo[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(is_well_formed_secret(typo, SecretKind::kAccessToken)) << i;
  }
}

// Test that strings of the right shape but no valid checksum are not secrets.
TEST(Secret, RandomStringsOfTheSameShapeAreNotSecrets) {
  testing::CounterRandom random(99);
  int accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string fake =
        "lk_key_" + random_base62(random, kSecretBodyChars + kSecretChecksumChars);
    accepted += classify_secret(fake).has_value();
  }
  EXPECT_EQ(accepted, 0);
  EXPECT_FALSE(is_well_formed_secret("lk_at_short", SecretKind::kAccessToken));
  EXPECT_FALSE(classify_secret("").has_value());
}

// Test that the same secret always digests the same and different ones differ.
TEST(Secret, DigestAndConstantTimeCompare) {
  const Digest a = digest_secret("lk_sec_a");
  EXPECT_TRUE(digests_equal(a, digest_secret("lk_sec_a")));
  EXPECT_FALSE(digests_equal(a, digest_secret("lk_sec_b")));
}

// Test that masking keeps only the last four characters.
TEST(Secret, MaskShowsLastFourOnly) {
  EXPECT_EQ(mask_secret("lk_key_abcdefa1B9"),
            "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2"
            "a1B9");
  EXPECT_EQ(mask_secret("ab"), "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2");
}

// Test that secrets are unique across many draws.
TEST(Secret, UniqueAcrossDraws) {
  OsRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(generate_secret(SecretKind::kApiKey, random));
  EXPECT_EQ(seen.size(), 1000u);
}

// Test that secret-like runs in free text are masked, with or without a valid checksum.
TEST(Secret, RedactsSecretLikeRunsInText) {
  OsRandom random;
  const std::string token = generate_secret(SecretKind::kAccessToken, random);
  const std::string redacted = redact_secrets("/api/" + token + "/x?lk_sec_abcdefgh12");
  EXPECT_EQ(redacted.find(token), std::string::npos);
  EXPECT_NE(redacted.find(mask_secret(token)), std::string::npos);
  EXPECT_EQ(redacted.find("lk_sec_abcdefgh12"), std::string::npos);
  EXPECT_EQ(redact_secrets("/api/v1/lk_at_short/look"), "/api/v1/lk_at_short/look");
  EXPECT_TRUE(contains_secret_like("trace-" + token));
  EXPECT_FALSE(contains_secret_like("trace-123"));
}

// Test that JWTs (the key exchanges' tokens) are masked too, and that text
// merely starting like one is left alone.
TEST(Secret, RedactsJwtLikeRuns) {
  const std::string jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfeCJ9.c2lnbmF0dXJlX2J5dGVz";
  const std::string redacted = redact_secrets("/apps/" + jwt + "/records?x=1");
  EXPECT_EQ(redacted.find(jwt), std::string::npos) << redacted;
  EXPECT_EQ(redacted, "/apps/" + mask_secret(jwt) + "/records?x=1");
  EXPECT_TRUE(contains_secret_like("Bearer " + jwt));
  for (const std::string text : {"eyJ", "eyJabc.def", "eyJabc..def", "eyJa.b.", "e.y.J"}) {
    EXPECT_EQ(redact_secrets(text), text) << text;
  }
}

// Test that secrets glued to each other or to a JWT are all masked (found by
// the bearer_key fuzz target): the first run used to swallow the "lk" of a
// following "lk_at_" and print that secret whole, and a JWT starting inside
// a secret's body used to keep its payload and signature.
TEST(Secret, RedactsSecretsGluedTogether) {
  OsRandom random;
  const std::string key = generate_secret(SecretKind::kApiKey, random);
  const std::string token = generate_secret(SecretKind::kAccessToken, random);
  const std::string jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfeCJ9.c2lnbmF0dXJlX2J5dGVz";
  for (const std::string& text :
       {key + token, "x" + token + key + "y", token + jwt, key + "lk_sec_" + token.substr(6)}) {
    const std::string redacted = redact_secrets(text);
    EXPECT_FALSE(contains_secret_like(redacted)) << text << " -> " << redacted;
    EXPECT_EQ(redacted.find(token.substr(6, 20)), std::string::npos) << redacted;
    EXPECT_EQ(redacted.find("eyJzdWIiOiJ1c3JfeCJ9"), std::string::npos) << redacted;
  }
  EXPECT_EQ(redact_secrets(key + token), mask_secret(key) + mask_secret(token));
  // A mask's last 4 characters plus the text after them never form a new
  // secret-shaped run either.
  const std::string tail_jwt = token.substr(0, token.size() - 4) + "eyJa.b.cceyJa.b.cc";
  EXPECT_FALSE(contains_secret_like(redact_secrets(tail_jwt))) << redact_secrets(tail_jwt);
}

// Test that hostile text costs linear work: every request path goes through
// redaction on an I/O thread (the access log), and "eyJeyJeyJ..." once cost
// the square of its length (a 1 MiB path: hours, so this test would time out).
TEST(Secret, HostileRunsAreScannedOnce) {
  std::string repeated;
  for (int i = 0; i < 350'000; ++i) repeated += "eyJ";
  for (const std::string& text : {repeated, "lk_sec_" + repeated, "lk_key_" + repeated + ".a"}) {
    const std::string redacted = redact_secrets(text);
    EXPECT_FALSE(contains_secret_like(redacted));
  }
  EXPECT_FALSE(contains_secret_like(repeated));
  EXPECT_TRUE(contains_secret_like(repeated + ".a.b"));
  EXPECT_EQ(redact_secrets(repeated + ".a.b"), mask_secret(repeated + ".a.b"));
}

}  // namespace
}  // namespace latchkey
