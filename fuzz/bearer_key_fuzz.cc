// Bearer tokens and latchkey key formats (src/pipeline/credentials.cc,
// src/core/secret.cc, src/tokens/jwt.cc has_jwt_shape, src/keys/
// secret_scanner.cc): the input is an Authorization header value, and also
// text that may hold secrets (a log line, a User-Agent, a scanned file).
//
// Properties: a Bearer token is the trimmed, non-empty rest of the header;
// classify_secret and is_well_formed_secret agree and a well-formed secret
// has its kind's prefix; a one-character change of a well-formed secret
// breaks its checksum; mask_secret shows at most the last 4 characters;
// redact_secrets leaves nothing secret-shaped; the scanner finds only
// well-formed secrets and reports them masked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "fuzz_check.h"
#include "keys/secret_scanner.h"
#include "pipeline/credentials.h"
#include "tokens/jwt.h"

namespace {

using latchkey::SecretKind;

constexpr SecretKind kKinds[] = {SecretKind::kClientSecret, SecretKind::kApiKey,
                                 SecretKind::kAccessToken};

void check_format(std::string_view token) {
  const auto kind = latchkey::classify_secret(token);
  for (SecretKind k : kKinds) {
    const bool well_formed = latchkey::is_well_formed_secret(token, k);
    FUZZ_CHECK(well_formed == (kind == k));
    if (well_formed) FUZZ_CHECK(token.starts_with(latchkey::secret_prefix(k)));
  }
  if (kind) {
    FUZZ_CHECK(latchkey::contains_secret_like(token));
    // Every single-character change of the body or checksum is caught.
    const std::size_t prefix = latchkey::secret_prefix(*kind).size();
    for (std::size_t i = prefix; i < token.size(); i += 7) {
      std::string changed(token);
      changed[i] = changed[i] == 'A' ? 'B' : 'A';
      FUZZ_CHECK(!latchkey::is_well_formed_secret(changed, *kind));
    }
  }
  if (latchkey::has_jwt_shape(token)) {
    FUZZ_CHECK(token.size() <= latchkey::kMaxJwtChars);
    std::size_t dots = 0;
    for (char c : token) dots += c == '.' ? 1 : 0;
    FUZZ_CHECK(dots == 2 && token.front() != '.' && token.back() != '.');
  }
  const std::string masked = latchkey::mask_secret(token);
  if (token.size() > 8) FUZZ_CHECK(masked.find(token) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = latchkey::fuzz::as_text(data, size);

  const auto token = latchkey::pipeline::parse_bearer_authorization(input);
  if (token) {
    FUZZ_CHECK(!token->empty() && token->front() != ' ' && token->back() != ' ');
    FUZZ_CHECK(input.size() >= 7 && input.ends_with(*token) == (input.back() != ' '));
    check_format(*token);
  } else {
    const auto code = token.error().code;
    FUZZ_CHECK(code == latchkey::ErrorCode::kInvalidToken ||
               (code == latchkey::ErrorCode::kMissingCredentials && input.empty()));
  }
  check_format(input);

  const std::string redacted = latchkey::redact_secrets(input);
  FUZZ_CHECK(!latchkey::contains_secret_like(redacted));
  FUZZ_CHECK(latchkey::contains_secret_like(input) == (redacted != input));

  for (const auto& finding : latchkey::keys::scan_text(input)) {
    FUZZ_CHECK(finding.line >= 1);
    FUZZ_CHECK(!latchkey::classify_secret(finding.masked));
    FUZZ_CHECK(finding.masked.size() <= 4 + 3 * 4);  // "••••" (3 bytes each) + 4 characters
  }
  return 0;
}
