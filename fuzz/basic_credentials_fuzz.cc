// HTTP Basic client credentials (seed 000; src/pipeline/credentials.cc): the
// input is the Authorization header value.
//
// Properties: a success has a non-empty id without ':' and a non-empty
// secret, and encoding them again gives credentials that parse to the same
// pair; a refusal is a 401 invalid_client whose JSON body is valid and never
// repeats the header (which may hold a secret).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/encoding.h"
#include "fuzz_check.h"
#include "http/error_response.h"
#include "pipeline/credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header = latchkey::fuzz::as_text(data, size);
  const auto parsed = latchkey::pipeline::parse_basic_authorization(header);
  if (parsed) {
    FUZZ_CHECK(!parsed->client_id.empty() && !parsed->client_secret.empty());
    FUZZ_CHECK(parsed->client_id.find(':') == std::string::npos);
    FUZZ_CHECK(header.size() <= latchkey::pipeline::kMaxAuthorizationBytes);
    const std::string again =
        "Basic " + latchkey::base64_encode(parsed->client_id + ":" + parsed->client_secret);
    const auto reparsed = latchkey::pipeline::parse_basic_authorization(again);
    FUZZ_CHECK(reparsed && reparsed->client_id == parsed->client_id &&
               reparsed->client_secret == parsed->client_secret);
    return 0;
  }
  FUZZ_CHECK(parsed.error().code == latchkey::ErrorCode::kInvalidClient);
  const auto response = latchkey::http::error_response(parsed.error());
  FUZZ_CHECK(response.status == 401);
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(body.is_object());
  if (header.size() >= 8) FUZZ_CHECK(response.body.find(header) == std::string::npos);

  // The absent header is refused the same way.
  FUZZ_CHECK(!latchkey::pipeline::parse_basic_authorization(std::nullopt));
  return 0;
}
