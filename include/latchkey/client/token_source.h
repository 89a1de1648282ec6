// Where a Client gets its bearer token from.
//
// AccountTokenSource implements seed 000: it exchanges a Client ID and
// Secret (HTTP Basic) at POST /api/v1/account/token for an access token,
// caches it with its expiry and re-uses it until it is about to expire.
// Every exchange invalidates all earlier tokens of the user, on any machine,
// so it must happen rarely: on first use, on expiry, and once after a 401.
//
// StaticTokenSource hands out one token given by the caller (e.g. from
// LATCHKEY_TOKEN) and cannot obtain another.
//
// Both are thread-safe. AccountTokenSource holds a mutex across an exchange,
// so concurrent callers in one process share a single exchange instead of
// invalidating each other's tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "latchkey/client/error.h"
#include "latchkey/client/token.h"
#include "latchkey/client/token_cache.h"
#include "latchkey/client/transport.h"

namespace latchkey::client {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A token believed to be valid.
  virtual Result<Token> get() = 0;
  // Whether refresh_after_rejection() can ever produce a different token.
  virtual bool can_refresh() const = 0;
  // Called once after the server answered 401 to `rejected`. Returns the
  // token to replay the request with: a newer one that another caller
  // already obtained, else a freshly issued one.
  virtual Result<Token> refresh_after_rejection(std::string_view rejected) = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(std::string access_token);
  // The given token, with expires_at_unix 0 (unknown); fails (kUsage) when
  // it is empty or not plausible as a header value.
  Result<Token> get() override;
  bool can_refresh() const override { return false; }
  // Always fails (ErrorKind::kUsage): a given token cannot be regenerated.
  Result<Token> refresh_after_rejection(std::string_view rejected) override;

 private:
  const std::string access_token_;
};

// Seconds since the Unix epoch. Injected so that tests drive time.
using UnixClock = std::function<std::int64_t()>;
std::int64_t system_unix_seconds();

struct AccountTokenSourceOptions {
  std::string base_url;  // e.g. "https://latchkey.example.com"
  Credentials credentials;
  std::shared_ptr<Transport> transport;  // required
  std::shared_ptr<TokenCache> cache;     // default: a MemoryTokenCache
  UnixClock clock;                       // default: system_unix_seconds
  // A token is treated as expired this long before its expiry, so that it
  // does not die in flight.
  std::int64_t expiry_margin_seconds = 60;
  // Told when the cache cannot be written; the token is still used. The
  // error never contains the token.
  std::function<void(const ClientError&)> on_cache_error;
};

class AccountTokenSource final : public TokenSource {
 public:
  explicit AccountTokenSource(AccountTokenSourceOptions options);

  // The cached token (memory, then the TokenCache) unless it is missing or
  // about to expire; otherwise a newly issued one, which is then cached.
  Result<Token> get() override;

  bool can_refresh() const override { return true; }

  // If the cache already holds a valid token other than `rejected` (another
  // thread or process sharing the cache regenerated it), returns that one;
  // otherwise issues a new token. Never issues more than one.
  Result<Token> refresh_after_rejection(std::string_view rejected) override;

  // Issues a new token unconditionally (`latchkey token --new`). Every other
  // holder of the user's previous token will get 401 superseded.
  Result<Token> refresh();

  // Forgets the token in memory and in the cache (after revoking it).
  Status forget();

 private:
  bool usable(const Token& token) const;
  std::optional<Token> cached_locked();
  Result<Token> issue_locked();

  AccountTokenSourceOptions options_;
  std::mutex mu_;
  std::optional<Token> current_;  // guarded by mu_
};

}  // namespace latchkey::client
