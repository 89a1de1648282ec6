// OAuth 2.0 client credentials (RFC 6749 §4.4, docs/oauth.md): a Client ID
// and Secret exchanged at POST /oauth/token (form body
// grant_type=client_credentials[&scope=...], client_secret_basic) for a
// bearer JWT (3600 s by default). Unlike seed 000's account token, a new
// OAuth token does not end the user's other tokens.
//
// Thread-safe; see refreshing_token_source.h for refresh, single flight and
// 429 handling.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "latchkey/client/refreshing_token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {

struct OAuthClientCredentialsOptions {
  std::string base_url;  // e.g. "https://latchkey.example.com"
  Credentials credentials;
  std::shared_ptr<Transport> transport;  // required
  UnixClock clock;                       // default: system_unix_seconds
  std::string scope;                     // "read", "read write"; empty: the server's default
  std::shared_ptr<TokenCache> cache;     // default: a MemoryTokenCache
  double refresh_at_fraction = 0.8;      // of the token's lifetime
  std::int64_t expiry_margin_seconds = 60;
  RetryPolicy retry;  // 429 on the exchange
  Sleeper sleeper;    // default: system_sleep
  std::function<void(const ClientError&)> on_cache_error;
  std::function<void(const ClientError&)> on_refresh_error;
};

class OAuthClientCredentialsTokenSource final : public RefreshingTokenSource {
 public:
  explicit OAuthClientCredentialsTokenSource(OAuthClientCredentialsOptions options);

  // The scope the server granted with the last token ("read write" ...).
  std::string granted_scope() const;

 protected:
  Result<Token> exchange() override;
  std::vector<std::string_view> secrets() const override;

 private:
  const std::string base_url_;
  const Credentials credentials_;
  const std::string scope_;
  const std::shared_ptr<Transport> transport_;
  mutable std::mutex scope_mu_;
  std::string granted_scope_;  // guarded by scope_mu_
};

}  // namespace latchkey::client
