#include "client/internal/redact.h"

#include <gtest/gtest.h>

#include "client/internal/base64.h"

namespace latchkey::client::internal {
namespace {

// Test that anything shaped like a latchkey secret is masked to its last 4
// characters, while prose that merely mentions a prefix is left alone.
TEST(Redact, MasksSecretShapedText) {
  EXPECT_EQ(mask_secret_like("token lk_at_abcdefghijWXYZ refused"),
            "token \u2022\u2022\u2022\u2022WXYZ refused");
  EXPECT_EQ(mask_secret_like("key=lk_key_0123456789abcd;"), "key=\u2022\u2022\u2022\u2022abcd;");
  EXPECT_EQ(mask_secret_like("lk_sec_ABCDEFGHIJKL"), "\u2022\u2022\u2022\u2022IJKL");
  EXPECT_EQ(mask_secret_like("tokens start with lk_at_"), "tokens start with lk_at_");
  EXPECT_EQ(mask_secret_like("nothing here"), "nothing here");
}

// Test that known secret values are scrubbed from every field of an error.
TEST(Redact, ScrubsKnownValuesEverywhere) {
  ClientError error{.kind = ErrorKind::kHttp,
                    .error = "x hunter2hunter2",
                    .description = "secret is hunter2hunter2!",
                    .reason = "hunter2hunter2",
                    .details = {{"k", "v hunter2hunter2"}}};
  scrub(error, {"hunter2hunter2", ""});
  EXPECT_EQ(error.message().find("hunter2"), std::string::npos) << error.message();
}

// Test the base64 used for HTTP Basic against RFC 4648 vectors.
TEST(Base64, MatchesRfc4648) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("cli_x:lk_sec_y"), "Y2xpX3g6bGtfc2VjX3k=");
}

// Test that error messages list the server's extra fields.
TEST(ClientErrorMessage, IncludesReasonDetailsAndRequestId) {
  ClientError error{.kind = ErrorKind::kHttp,
                    .status = 401,
                    .error = "invalid_token",
                    .description = "superseded",
                    .reason = "superseded",
                    .details = {{"superseded_by_client_id", "cli_1"}},
                    .request_id = "r1"};
  EXPECT_EQ(error.message(),
            "invalid_token: superseded (HTTP: 401; reason: superseded; superseded_by_client_id: "
            "cli_1; request id: r1)");
}

}  // namespace
}  // namespace latchkey::client::internal
