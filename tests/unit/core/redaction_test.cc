#include "core/redaction.h"

#include <gtest/gtest.h>

#include <string>

#include "core/random.h"
#include "core/secret.h"

namespace latchkey {
namespace {

// A made-up JWT, assembled so that secret scanners do not flag this file.
const std::string kJwt = std::string("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0") + "." +
                         "eyJzdWIiOiJ1c3JfeCJ9" + "." + "c2lnbmF0dXJlX2J5dGVzX2hlcmU";

// Test that every latchkey prefix is secret-shaped, with or without a body or checksum.
TEST(Redaction, LatchkeyPrefixesLookLikeSecrets) {
  OsRandom random;
  for (SecretKind kind :
       {SecretKind::kClientSecret, SecretKind::kApiKey, SecretKind::kAccessToken}) {
    const std::string secret = generate_secret(kind, random);
    EXPECT_TRUE(looks_like_secret(secret)) << secret;
    EXPECT_TRUE(looks_like_secret("x" + secret + "y"));
    EXPECT_TRUE(looks_like_secret(secret_prefix(kind)));
    EXPECT_EQ(redact_secret_runs("a " + secret + " b"), "a [redacted] b");
  }
  EXPECT_EQ(redact_secret_runs("name=lk_key_"), "name=[redacted]");
}

// Test that signed and unsigned JWT shapes are secret-shaped, and dotted text is not.
TEST(Redaction, JwtShapes) {
  EXPECT_TRUE(looks_like_secret(kJwt));
  EXPECT_TRUE(looks_like_secret("Bearer " + kJwt));
  const std::string unsigned_jwt = kJwt.substr(0, kJwt.rfind('.') + 1);  // "h.p." (alg none)
  EXPECT_TRUE(looks_like_secret(unsigned_jwt));
  EXPECT_EQ(redact_secret_runs("/x/" + kJwt + "/y"), "/x/[redacted]/y");
  EXPECT_EQ(redact_secret_runs(unsigned_jwt + " z"), "[redacted] z");
  // A header of pretty-printed JSON ({\n...) starts "ew".
  EXPECT_TRUE(looks_like_secret("ewogICJhbGciOiAiRVMyNTYiCn0.eyJzdWIiOiJ4In0.c2ln"));
  for (const std::string text : {"1.2.3", "www.example.com", "eyJ", "eyJabc.def", "eyes.are.blue",
                                 "eyJhbGciOiJFUzI1NiJ9.x", "keyboard.v2.x", "a.b."}) {
    EXPECT_FALSE(looks_like_secret(text)) << text;
  }
}

// Test the high-entropy rules: 32 hex digits, or 32 base64 characters of
// mixed case with a digit; ids, UUIDs, paths and words are not secrets.
TEST(Redaction, HighEntropyRuns) {
  EXPECT_TRUE(looks_like_secret("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(looks_like_secret("0123456789abcdef0123456789abcde"));  // 31
  EXPECT_FALSE(looks_like_secret(std::string(40, 'a')));               // no digit
  // A dotted token whose first part is secret-shaped goes whole.
  EXPECT_EQ(redact_secret_runs("AKIAx9Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4.abc.def end"),
            "[redacted] end");
  EXPECT_TRUE(looks_like_secret("ghp_" + std::string("A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")));
  EXPECT_TRUE(looks_like_secret("k=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA/+Zz9=="));
  EXPECT_EQ(redact_secret_runs("k=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA/+Zz9== end"),
            "k=[redacted] end");
  for (const std::string text : {
           "usr_4fKa9XmZq2Lw7Rt0PbNc",                            // a latchkey id
           "123e4567-e89b-12d3-a456-426614174000",                // a UUID
           "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",  // a browser
           "/usr/share/doc/latchkey/examples/configuration",      // lower case only
           "latchkey-cli/0.1",
           "ALLUPPERCASEWITHOUTDIGITSATALLXXXXXX",
       }) {
    EXPECT_FALSE(looks_like_secret(text)) << text;
    EXPECT_EQ(redact_secret_runs(text), text);
  }
}

// Test that names built from path ids lose only their secret-shaped segments.
TEST(Redaction, SecretSegments) {
  const std::string key = "Gk9" + std::string("A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
  EXPECT_EQ(redact_secret_segments("application/app_4fKa9XmZq2Lw7Rt0PbNc/steps/stp_a,stp_b"),
            "application/app_4fKa9XmZq2Lw7Rt0PbNc/steps/stp_a,stp_b");
  EXPECT_EQ(redact_secret_segments("api_key/" + key + "/session/" + key),
            "api_key/[redacted]/session/[redacted]");
  EXPECT_EQ(redact_secret_segments("GET /x/" + kJwt), "GET /x/[redacted]");
  EXPECT_EQ(redact_secret_segments(""), "");
  EXPECT_EQ(redact_secret_segments("a/"), "a/");
}

// Test that display text loses control characters, bad UTF-8 and secrets, and is cut to size.
TEST(Redaction, SanitizeForDisplay) {
  EXPECT_EQ(sanitize_for_display("curl/8.1"), "curl/8.1");
  EXPECT_EQ(sanitize_for_display("a\r\nb\tc\x1b[31md\x7f"), "abc[31md");
  EXPECT_EQ(sanitize_for_display("caf\xC3\xA9"), "caf\xC3\xA9");      // é stays
  EXPECT_EQ(sanitize_for_display("x\xE2\x80\xAEy\xC2\x85z"), "xyz");  // RLO, NEL
  EXPECT_EQ(sanitize_for_display("a\xFF\xC0\xAF"
                                 "b"),
            "a???b");  // invalid bytes
  // A secret split by control characters is joined, then redacted.
  const std::string split = "tool " + kJwt.substr(0, 10) + "\x01" + kJwt.substr(10);
  EXPECT_EQ(sanitize_for_display(split), "tool [redacted]");
  const std::string long_text(500, 'x');
  const std::string cut = sanitize_for_display(long_text);
  EXPECT_EQ(cut.size(), kMaxDisplayChars);
  EXPECT_TRUE(cut.ends_with("..."));
  // Never cut inside a UTF-8 sequence.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  const std::string shown = sanitize_for_display(accents, 10);
  EXPECT_EQ(shown, "\xC3\xA9\xC3\xA9\xC3\xA9...");
}

// Test that names are quoted only when short, printable and not secret-shaped.
TEST(Redaction, EchoableNames) {
  EXPECT_EQ(quoted_name("api_acess"), " \"api_acess\"");
  EXPECT_EQ(quoted_name(kJwt), "");
  EXPECT_EQ(quoted_name("lk_sec_abc"), "");
  EXPECT_EQ(quoted_name(std::string(65, 'x')), "");
  EXPECT_EQ(quoted_name(std::string(64, 'x')), " \"" + std::string(64, 'x') + "\"");
  EXPECT_EQ(quoted_name("a\"b"), "");
  EXPECT_EQ(quoted_name("a\nb"), "");
  EXPECT_EQ(quoted_name(""), "");
  EXPECT_EQ(quoted_name("caf\xC3\xA9"), "");
}

// Test that scanning long adversarial text stays linear (no quadratic rescans).
TEST(Redaction, LinearOnAdversarialInput) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "ey";
  EXPECT_FALSE(looks_like_secret(text + "!"));  // lower case only: not a secret
  std::string dotted;
  for (int i = 0; i < 100000; ++i) dotted += "eyJabc.";
  EXPECT_EQ(redact_secret_runs(dotted), dotted);
  std::string prefixes;
  for (int i = 0; i < 100000; ++i) prefixes += "lk_at_";
  EXPECT_TRUE(looks_like_secret(prefixes));
}

}  // namespace
}  // namespace latchkey
