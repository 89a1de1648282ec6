// An API key (lk_key_...) exchanged for a short-lived bearer JWT
// (docs/jwt.md):
//
// - without session_id: POST /v2/auth/token/access {"api_key"} (seed 004),
//   a new token (900 s by default) on every exchange;
// - with session_id: POST /auth/login {"api_key", "session_id"} (seed 003),
//   the session's token (7200 s by default); while it is valid the server
//   answers the same token again. A revoked session answers 409
//   `session_revoked`: log in with a new session id.
//
// The key is sent in the JSON body only, never in a URL or header, and is
// masked in every error. Thread-safe; see refreshing_token_source.h for
// refresh, single flight and 429 handling.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "latchkey/client/refreshing_token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {

struct ApiKeyTokenSourceOptions {
  std::string base_url;                   // e.g. "https://latchkey.example.com"
  std::string api_key;                    // lk_key_...; required
  std::shared_ptr<Transport> transport;   // required
  UnixClock clock;                        // default: system_unix_seconds
  std::optional<std::string> session_id;  // set: POST /auth/login with it
  std::shared_ptr<TokenCache> cache;      // default: a MemoryTokenCache
  double refresh_at_fraction = 0.8;       // of the token's lifetime
  std::int64_t expiry_margin_seconds = 60;
  RetryPolicy retry;  // 429 on the exchange
  Sleeper sleeper;    // default: system_sleep
  std::function<void(const ClientError&)> on_cache_error;
  std::function<void(const ClientError&)> on_refresh_error;
};

class ApiKeyTokenSource final : public RefreshingTokenSource {
 public:
  explicit ApiKeyTokenSource(ApiKeyTokenSourceOptions options);

  // "/v2/auth/token/access" or "/auth/login".
  const std::string& endpoint() const { return endpoint_; }

 protected:
  Result<Token> exchange() override;
  std::vector<std::string_view> secrets() const override;

 private:
  const std::string base_url_;
  const std::string api_key_;
  const std::optional<std::string> session_id_;
  const std::string endpoint_;
  const std::shared_ptr<Transport> transport_;
};

}  // namespace latchkey::client
