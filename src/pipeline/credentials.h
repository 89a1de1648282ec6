// Reading credentials from the Authorization header: HTTP Basic with a
// Client ID and Secret (seed 000), and Bearer tokens (RFC 6750). Pure
// parsing; every malformed header is a handled error, never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace latchkey::pipeline {

inline constexpr std::size_t kMaxAuthorizationBytes = 1024;

struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};

// kInvalidClient with a description of what is wrong: missing, not Basic,
// oversized, not base64, no colon, empty id or secret.
Result<BasicCredentials> parse_basic_authorization(std::optional<std::string_view> header);

// The token of "Bearer <token>". kMissingCredentials when the header is
// absent; kInvalidToken (reason "malformed") when it is not a Bearer header.
Result<std::string_view> parse_bearer_authorization(std::optional<std::string_view> header);

}  // namespace latchkey::pipeline
