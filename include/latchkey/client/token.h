// The two credentials of the seed 000 flow: the long-lived Client ID and
// Secret, and the access token they are exchanged for. Plain values; they
// are never printed or logged by the library.
#pragma once

#include <cstdint>
#include <string>

namespace latchkey::client {

// A user's Client ID ("cli_...") and Client Secret ("lk_sec_..."). Keep them
// in a secrets manager; never in source control (seed 000 best practices).
struct Credentials {
  std::string client_id;
  std::string client_secret;
};

// A bearer token and when it stops working, in whole seconds since the Unix
// epoch (UTC). issued_at_unix is when it was requested (0: unknown, e.g. a
// token given by the caller); the refresh point is computed from both.
struct Token {
  std::string access_token;
  std::int64_t expires_at_unix = 0;
  std::int64_t issued_at_unix = 0;
};

inline bool operator==(const Token& a, const Token& b) {
  return a.access_token == b.access_token && a.expires_at_unix == b.expires_at_unix;
}

// True when `text` may be sent as a bearer token: non-empty, at most 4 KiB,
// and only visible ASCII (so it cannot smuggle a header line).
bool is_plausible_token(const std::string& text);

}  // namespace latchkey::client
