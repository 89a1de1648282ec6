// The Latchkey-Signature header of a webhook delivery (docs/webhooks.md):
//
//   Latchkey-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The timestamp is signed with the body, so a receiver that refuses old
// timestamps also refuses a captured delivery replayed later. Pure;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace latchkey::events {

inline constexpr std::string_view kSignatureHeader = "Latchkey-Signature";

// Lower-case hex HMAC-SHA256 of `message` under `secret`.
std::string hmac_sha256_hex(std::string_view secret, std::string_view message);

// The header value for `body` sent at `unix_seconds`.
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              std::string_view body);

// What a receiver checks: the header parses, its v1 matches (constant-time
// comparison) and its t is within `tolerance_seconds` of `now_unix_seconds`.
bool verify_webhook_signature(std::string_view header, std::string_view secret,
                              std::string_view body, std::int64_t now_unix_seconds,
                              std::int64_t tolerance_seconds = 300);

}  // namespace latchkey::events
