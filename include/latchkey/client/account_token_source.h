// seed 000: exchanges a Client ID and Secret (HTTP Basic) at
// POST /api/v1/account/token for an access token, caches it with its expiry
// and re-uses it until its refresh point. Every exchange invalidates all
// earlier tokens of the user, on any machine (they answer 401 `superseded`),
// so it must happen rarely: on first use, at the refresh point, and once
// after a 401. Share one FileTokenCache between the processes of one
// account so that they pick up each other's token instead of superseding it.
//
// Thread-safe; see refreshing_token_source.h for the shared behaviour.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "latchkey/client/refreshing_token_source.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {

struct AccountTokenSourceOptions {
  std::string base_url;  // e.g. "https://latchkey.example.com"
  Credentials credentials;
  std::shared_ptr<Transport> transport;  // required
  std::shared_ptr<TokenCache> cache;     // default: a MemoryTokenCache
  UnixClock clock;                       // default: system_unix_seconds
  // Never hand out a token expiring within this margin.
  std::int64_t expiry_margin_seconds = 60;
  // Told when the cache cannot be written; the token is still used. The
  // error never contains the token.
  std::function<void(const ClientError&)> on_cache_error;
  double refresh_at_fraction = 0.8;  // of the token's lifetime
  RetryPolicy retry;                 // 429 on the exchange
  Sleeper sleeper;                   // default: system_sleep
  std::function<void(const ClientError&)> on_refresh_error;
};

class AccountTokenSource final : public RefreshingTokenSource {
 public:
  explicit AccountTokenSource(AccountTokenSourceOptions options);

 protected:
  Result<Token> exchange() override;
  std::vector<std::string_view> secrets() const override;

 private:
  const std::string base_url_;
  const Credentials credentials_;
  const std::shared_ptr<Transport> transport_;
};

}  // namespace latchkey::client
