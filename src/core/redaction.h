// What a response may repeat of what a client sent (issue 13 item 5).
//
// A client that puts a secret in the wrong place (a token as a JSON field
// name, an API key as a path id, a JWT as a User-Agent) must never see it
// echoed back in an error, nor have it shown to somebody else. The rule:
//   - error messages name the field, not its value;
//   - a client-supplied NAME (unknown field, unknown query parameter) is
//     quoted only when echoable(): short, printable ASCII, not secret-shaped;
//   - free text shown to others (the issuer's User-Agent on a superseded
//     token) goes through sanitize_for_display();
//   - http::error_response() replaces any secret-shaped run left in a
//     description or detail with "[redacted]" as a last line of defence.
//
// A run "looks like a secret" when it is (docs/security/echo-and-timing.md):
//   1. a latchkey prefix (lk_sec_, lk_key_, lk_at_) and the base62 run after it;
//   2. a JWT/JWS shape: base64url segments joined by dots, the first starting
//      "ey" or "ew" (base64 of '{' then '"', ' ' or a newline) and at least
//      8 long, then one more segment and either a third segment or a trailing
//      dot (an unsigned "alg: none" token);
//   3. kMinSecretRunChars or more hex digits in a row, letters and digits
//      both present (128 bits of hex);
//   4. kMinSecretRunChars or more base64/base64url characters
//      ([A-Za-z0-9+/_-], '=' padding) holding an upper-case letter, a
//      lower-case letter and a digit.
//   A run of rule 3 or 4 extends through any ".segment" right after it.
// Canonical UUIDs (hex groups of at most 12 between dashes) and latchkey ids
// (a prefix and 20 base62 characters) are not secret-shaped.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey {

// Rules 3 and 4: at least 128 bits of hex, 190 bits of base64.
inline constexpr std::size_t kMinSecretRunChars = 32;
// The longest client-supplied name an error message quotes.
inline constexpr std::size_t kMaxEchoedNameChars = 64;
// The longest free text (bytes, after sanitising) shown to others.
inline constexpr std::size_t kMaxDisplayChars = 128;

inline constexpr std::string_view kRedacted = "[redacted]";

// True when `text` holds a secret-shaped run anywhere.
bool looks_like_secret(std::string_view text);

// `text` with every secret-shaped run replaced by "[redacted]".
std::string redact_secret_runs(std::string_view text);

// `text` with every segment between '/', ',' and ' ' that looks like a
// secret replaced by "[redacted]": for names built from path ids
// ("user/<id>", "api_key/<id>/session/<id>"), where ordinary ids stay
// readable even when their joined run would be long.
std::string redact_secret_segments(std::string_view text);

// Free text from a client made fit to show to another party: invalid UTF-8
// bytes become '?', control characters (C0, DEL, C1, bidirectional
// overrides) are dropped, secret-shaped runs become "[redacted]", and the
// result is cut to at most `max_bytes` bytes (on a character boundary,
// ending in "..." when cut).
std::string sanitize_for_display(std::string_view text, std::size_t max_bytes = kMaxDisplayChars);

// `name` when an error message may quote it: 1..kMaxEchoedNameChars
// printable ASCII characters (no quote or backslash) and not secret-shaped;
// nullopt otherwise.
std::optional<std::string_view> echoable(std::string_view name);

// ` "name"` when echoable(name), else "" — for messages such as
// "unknown field" + quoted_name(key).
std::string quoted_name(std::string_view name);

}  // namespace latchkey
