// JWS compact parsing and verification (src/tokens/jwt.cc, jws_es256.cc)
// against a fixed key ring (kid "fuzz-key-1"; a test key for fuzzing only).
//
// The first byte chooses the mode:
//   even: the rest is a token, verified as latchkeyd verifies bearer JWTs.
//         Property: exactly the signed seeds of make_jws_seeds.py
//         (kValidTokens) verify; a fuzzed token never does.
//   odd:  the rest is "<header JSON>\n<payload JSON>"; the target signs them
//         with the test key and verifies the result, so the fuzzer reaches
//         the header and claim checks behind the signature. Properties: an
//         accepted token has alg ES256, our issuer and audience and is not
//         expired; changing one signature character refuses it.
// Every refusal is kInvalidToken with a reason.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.h"
#include "fuzz_check.h"
#include "tokens/jws_es256.h"
#include "tokens/jwt.h"

namespace {

using latchkey::Es256Key;

constexpr std::string_view kTestKeyPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyo0sXaiuuj8X+v+4
d1WNnhEj7ICsG1TYow4ZKH+SgSehRANCAARyKgW5RnaQ0xeQ/HguA8T6tp/f0Cw4
88y/7w394rVk/MvyL+OaAVTCpm1Mm8XexDvkeqQKaO0btq78g+UtXDh5
-----END PRIVATE KEY-----
)";

// Printed by make_jws_seeds.py; also the corpus files valid_*.
constexpr std::array<std::string_view, 3> kValidTokens = {
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImZ1enota2V5LTEifQ."
    "eyJpc3MiOiJsYXRjaGtleSIsImF1ZCI6ImxhdGNoa2V5Iiwic3ViIjoidXNyXzEiLCJzY29wZSI6InJlYWQgd3JpdGUiLC"
    "JpYXQiOjE3OTAwMDAwMDAsImV4cCI6MTkwMDAwMDAwMCwianRpIjoianRpXzEiLCJrZXlfaWQiOiJrZXlfMSIsImNsaWVu"
    "dF9pZCI6ImtleV8xIiwicm9sZSI6ImFkbWluIn0.GuivrRV3pHe6j3cBZKu2wCjwa9yuUnjwdp745-"
    "RKxDJcRtuQmRpeKEcILaLi53fWUvV0JBLgAiKtEoIUDS0O1A",
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImZ1enota2V5LTEifQ."
    "eyJpc3MiOiJsYXRjaGtleSIsImF1ZCI6ImxhdGNoa2V5Iiwic3ViIjoidXNyXzEiLCJzY29wZSI6InJlYWQgd3JpdGUiLC"
    "JpYXQiOjE3OTAwMDAwMDAsImV4cCI6MTkwMDAwMDAwMCwianRpIjoianRpXzEiLCJrZXlfaWQiOiJrZXlfMSIsImNsaWVu"
    "dF9pZCI6ImtleV8xIiwicm9sZSI6IiIsInNpZCI6InNlc18xIn0.Swia7PSurbiqtXdoGWDlQKBvOdjoJruzG3Z83r8iR_"
    "hgMKAysvTEjHACszCMlI4nL2Sl5qKdLOvpiTyn_Hl0TQ",
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImZ1enota2V5LTEifQ."
    "eyJpc3MiOiJsYXRjaGtleSIsImF1ZCI6ImxhdGNoa2V5Iiwic3ViIjoidXNyXzEiLCJzY29wZSI6InJlYWQgd3JpdGUiLC"
    "JpYXQiOjE3OTAwMDAwMDAsImV4cCI6MTkwMDAwMDAwMCwianRpIjoianRpXzEiLCJndHkiOiJjbGllbnRfY3JlZGVudGlh"
    "bHMiLCJjbGllbnRfaWQiOiJjbGlfMSJ9.PV1u2OcT-"
    "SEqC0FOldkxYCp5Y1l9xUTFxzLFWjdHt69WvxwRyWTmbbzsF8r5nwRNFthQL66Xksmnp2SHyFtVmA",
};

const std::shared_ptr<const Es256Key>& test_key() {
  static const auto key = [] {
    auto k = Es256Key::from_private_pem(kTestKeyPem);
    FUZZ_CHECK(k.has_value());
    return std::make_shared<const Es256Key>(std::move(*k));
  }();
  return key;
}

const latchkey::JwtKeyLookup& key_ring() {
  static const latchkey::JwtKeyLookup lookup =
      [](std::string_view kid) -> std::shared_ptr<const Es256Key> {
    return kid == "fuzz-key-1" ? test_key() : nullptr;
  };
  return lookup;
}

const latchkey::JwtExpectations kExpect{"latchkey", "latchkey",
                                        latchkey::from_unix_millis(1'800'000'000'000)};

void check_refusal(const latchkey::Error& error) {
  FUZZ_CHECK(error.code == latchkey::ErrorCode::kInvalidToken);
  FUZZ_CHECK(!error.reason.empty());
}

void verify_token(std::string_view token) {
  const auto claims = latchkey::verify_jwt(token, key_ring(), kExpect);
  bool known = false;
  for (std::string_view valid : kValidTokens) known = known || token == valid;
  FUZZ_CHECK(claims.has_value() == known);  // the signed seeds do verify
  if (!claims) return check_refusal(claims.error());
}

void sign_and_verify(std::string_view input) {
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return;
  std::string token = latchkey::base64url_encode(input.substr(0, newline));
  token += '.';
  token += latchkey::base64url_encode(input.substr(newline + 1));
  const auto signature = test_key()->sign(token);
  FUZZ_CHECK(signature && signature->size() == 64);
  token += '.';
  token += latchkey::base64url_encode(*signature);

  const auto claims = latchkey::verify_jwt(token, key_ring(), kExpect);
  if (!claims) return check_refusal(claims.error());
  FUZZ_CHECK(input.substr(0, newline).find("ES256") != std::string_view::npos);
  FUZZ_CHECK(claims->issuer == "latchkey" && claims->audience == "latchkey");
  FUZZ_CHECK(kExpect.now < claims->expires_at);

  std::string tampered = token;
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  const auto refused = latchkey::verify_jwt(tampered, key_ring(), kExpect);
  FUZZ_CHECK(!refused);
  check_refusal(refused.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = latchkey::fuzz::as_text(data + 1, size - 1);

  // base64url is canonical: what decodes encodes back to the same text.
  if (const auto decoded = latchkey::base64url_decode(rest)) {
    FUZZ_CHECK(latchkey::base64url_encode(*decoded) == rest);
  }

  if ((data[0] & 1) == 0) {
    verify_token(rest);
  } else {
    sign_and_verify(rest);
  }
  return 0;
}
